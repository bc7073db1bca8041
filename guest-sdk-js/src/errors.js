// The errors of the SDK: `HandlerError` (the WIT `handler-error`) and the
// reasons a call out got no response (`HttpError`, `BoldApiError`).

const HANDLER_ERROR = Symbol.for('@checkout-plugin/sdk.HandlerError');
const HTTP_ERROR = Symbol.for('@checkout-plugin/sdk.HttpError');
const BOLD_API_ERROR = Symbol.for('@checkout-plugin/sdk.BoldApiError');

/** The WIT `handler-error` cases. */
export const HANDLER_ERROR_KINDS = ['unsupported', 'invalid-input', 'failed'];

/**
 * Why a handler produced no answer; mirrors the WIT `handler-error`:
 * `unsupported`, `invalid-input(message)`, `failed(message)`.
 *
 * Throw it from a handler. `exportPlugin` turns it into its WIT case; any
 * other exception becomes `failed` with the exception's message.
 */
export class HandlerError extends Error {
  /**
   * @param {'unsupported' | 'invalid-input' | 'failed'} kind
   * @param {string} [message]
   */
  constructor(kind, message = '') {
    if (!HANDLER_ERROR_KINDS.includes(kind)) {
      throw new TypeError(`HandlerError kind must be one of ${HANDLER_ERROR_KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
    }
    super(kind === 'unsupported' ? 'unsupported' : String(message));
    this.name = 'HandlerError';
    /** @type {'unsupported' | 'invalid-input' | 'failed'} */
    this.kind = kind;
    // What componentize-js's export glue takes as the `err` value of a
    // result when the exception reaches it unwrapped.
    Object.defineProperty(this, 'payload', { value: this.toWit(), enumerable: false });
  }

  /** `HandlerError('unsupported')`. */
  static unsupported() {
    return new HandlerError('unsupported');
  }

  /** `HandlerError('invalid-input', message)`. */
  static invalidInput(message) {
    return new HandlerError('invalid-input', message);
  }

  /** `HandlerError('failed', message)`. */
  static failed(message) {
    return new HandlerError('failed', message);
  }

  /** Whether `value` is a HandlerError (of any copy of this SDK). */
  static is(value) {
    return value != null && value[HANDLER_ERROR] === true;
  }

  /** The WIT value: `{tag: 'unsupported'}` or `{tag, val: message}`. */
  toWit() {
    return this.kind === 'unsupported' ? { tag: 'unsupported' } : { tag: this.kind, val: this.message };
  }

  /** As the Rust SDK displays it: `unsupported`, `invalid input: m`, `failed: m`. */
  toString() {
    switch (this.kind) {
      case 'unsupported':
        return 'unsupported';
      case 'invalid-input':
        return `invalid input: ${this.message}`;
      default:
        return `failed: ${this.message}`;
    }
  }
}
Object.defineProperty(HandlerError.prototype, HANDLER_ERROR, { value: true });

/** The WIT `outbound-http.error` cases. */
export const HTTP_ERROR_KINDS = [
  'not-allowed',
  'invalid-request',
  'timeout',
  'response-too-large',
  'too-many-requests',
  'connection',
];
const HTTP_ERROR_WITH_MESSAGE = new Set(['not-allowed', 'invalid-request', 'connection']);

function describe(kind, detail) {
  switch (kind) {
    case 'not-allowed':
      return `not allowed: ${detail}`;
    case 'invalid-request':
      return `invalid request: ${detail}`;
    case 'timeout':
      return 'timeout';
    case 'response-too-large':
      return 'response too large';
    case 'too-many-requests':
      return 'too many requests';
    case 'connection':
      return `connection failed: ${detail}`;
    case 'no-shop':
      return 'the call names no shop';
    case 'not-installed':
      return "not installed on the call's shop";
    default:
      return kind;
  }
}

/**
 * What the two call-out errors share: a WIT variant `{tag, val?}` whose
 * cases a subclass lists in `KINDS`, those carrying a message in
 * `WITH_MESSAGE`.
 */
class CallError extends Error {
  constructor(kind, detail = '') {
    const { KINDS, WITH_MESSAGE, name } = new.target;
    if (!KINDS.includes(kind)) {
      throw new TypeError(`${name} kind must be one of ${KINDS.join(', ')}, not ${JSON.stringify(kind)}`);
    }
    super(describe(kind, detail));
    this.name = name;
    this.kind = kind;
    this.detail = WITH_MESSAGE.has(kind) ? String(detail) : '';
  }

  /** From the WIT value `{tag, val?}`. */
  static fromWit(wit) {
    return new this(wit.tag, wit.val ?? '');
  }

  /** The WIT value `{tag, val?}`. */
  toWit() {
    return this.constructor.WITH_MESSAGE.has(this.kind) ? { tag: this.kind, val: this.detail } : { tag: this.kind };
  }
}

/**
 * Why an outbound HTTP request got no response; mirrors the WIT
 * `outbound-http.error`. Any status is a response, never an HttpError.
 * Uncaught, it becomes `failed("outbound HTTP: <error>")`.
 * `new HttpError(kind, detail)`: `kind` one of HTTP_ERROR_KINDS, `detail`
 * the message of `not-allowed`, `invalid-request`, `connection`.
 */
export class HttpError extends CallError {
  static KINDS = HTTP_ERROR_KINDS;
  static WITH_MESSAGE = HTTP_ERROR_WITH_MESSAGE;

  static is(value) {
    return value != null && value[HTTP_ERROR] === true;
  }

  /** `failed("outbound HTTP: <error>")`, as the Rust SDK's `?` does. */
  toHandlerError() {
    return HandlerError.failed(`outbound HTTP: ${this.message}`);
  }
}
Object.defineProperty(HttpError.prototype, HTTP_ERROR, { value: true });

/** The WIT `bold-api.error` cases. */
export const BOLD_API_ERROR_KINDS = [
  'no-shop',
  'not-installed',
  'invalid-request',
  'timeout',
  'response-too-large',
  'too-many-requests',
  'connection',
];
const BOLD_ERROR_WITH_MESSAGE = new Set(['invalid-request', 'connection']);

/**
 * Why a Bold API request got no response; mirrors the WIT `bold-api.error`.
 * Uncaught, `no-shop` becomes `invalid-input("Bold API: ...")`, every other
 * kind `failed("Bold API: ...")`.
 */
export class BoldApiError extends CallError {
  static KINDS = BOLD_API_ERROR_KINDS;
  static WITH_MESSAGE = BOLD_ERROR_WITH_MESSAGE;

  static is(value) {
    return value != null && value[BOLD_API_ERROR] === true;
  }

  /** The HandlerError for this error, its message prefixed with `context`. */
  toHandlerError(context = 'Bold API') {
    const message = `${context}: ${this.message}`;
    return this.kind === 'no-shop' ? HandlerError.invalidInput(message) : HandlerError.failed(message);
  }
}
Object.defineProperty(BoldApiError.prototype, BOLD_API_ERROR, { value: true });

/**
 * The WIT `handler-error` for anything a handler threw: a HandlerError as
 * it is, an HttpError or BoldApiError as the Rust SDK's `?` converts them,
 * anything else `failed` with its message (`TypeError: …` for errors of
 * another class than `Error`, the value as text for a non-error).
 *
 * @returns {{tag: 'unsupported'} | {tag: 'invalid-input' | 'failed', val: string}}
 */
export function toWitError(thrown) {
  try {
    if (HandlerError.is(thrown)) {
      return thrown.toWit();
    }
    if (HttpError.is(thrown) || BoldApiError.is(thrown)) {
      return thrown.toHandlerError().toWit();
    }
    return { tag: 'failed', val: messageOf(thrown) };
  } catch {
    return { tag: 'failed', val: 'the handler threw a value that cannot be described' };
  }
}

/** The message `failed` carries for a thrown value. */
export function messageOf(thrown) {
  if (thrown instanceof Error || (thrown && typeof thrown === 'object' && typeof thrown.message === 'string')) {
    const name = typeof thrown.name === 'string' ? thrown.name : 'Error';
    const message = String(thrown.message);
    return name === 'Error' || name === '' ? message : `${name}: ${message}`;
  }
  if (typeof thrown === 'string') {
    return thrown;
  }
  if (thrown === undefined) {
    return 'the handler threw undefined';
  }
  try {
    const json = JSON.stringify(thrown);
    if (json !== undefined) {
      return `the handler threw ${json}`;
    }
  } catch {
    // fall through
  }
  return `the handler threw ${String(thrown)}`;
}
