// Outbound HTTP and Bold API requests and responses: the WIT
// `outbound-http.request`/`response` and `bold-api.request`.

import { BoldApiError, HandlerError } from './errors.js';

export const JSON_TYPE = 'application/json';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes from a string (UTF-8), a Uint8Array or an array of bytes. */
function bytes(body) {
  if (body === undefined || body === null) return new Uint8Array(0);
  if (typeof body === 'string') return encoder.encode(body);
  if (body instanceof Uint8Array) return body;
  if (Array.isArray(body)) return Uint8Array.from(body);
  throw new TypeError('a body is a string, a Uint8Array or an array of bytes');
}

/** Header pairs from `[[name, value], …]` or `{name: value}`. */
function headerPairs(headers) {
  const pairs = Array.isArray(headers) ? headers : Object.entries(headers ?? {});
  return pairs.map(([name, value]) => [String(name), String(value)]);
}

function findHeader(headers, name) {
  const lower = name.toLowerCase();
  const found = headers.find(([n]) => n.toLowerCase() === lower);
  return found ? found[1] : undefined;
}

class Message {
  /** @type {[string, string][]} */
  headers = [];
  /** @type {Uint8Array} */
  body = new Uint8Array(0);

  /** The value of the first header named `name` (case-insensitive). */
  header(name) {
    return findHeader(this.headers, name);
  }

  /** The body as text (UTF-8, invalid bytes replaced). */
  text() {
    return decoder.decode(this.body);
  }
}

/** What `HttpRequest` and `BoldApiRequest` share: method, headers, body, their builders. */
class Request extends Message {
  /**
   * @param {string} method upper-cased here
   * @param {{headers?: [string, string][] | Record<string, string>, body?: string | Uint8Array}} init
   */
  constructor(method, init) {
    super();
    this.method = String(method).toUpperCase();
    this.headers = headerPairs(init.headers);
    this.body = bytes(init.body);
  }

  /** Adds a header (after those already set); returns the request. */
  withHeader(name, value) {
    this.headers.push([String(name), String(value)]);
    return this;
  }

  /** Sets the body to `value` as JSON, and `content-type: application/json` unless set. */
  withJson(value) {
    this.body = encoder.encode(JSON.stringify(value));
    if (this.header('content-type') === undefined) this.headers.push(['content-type', JSON_TYPE]);
    return this;
  }

  /** The body decoded as JSON; throws `invalid-input` (meant for test doubles). */
  json() {
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw HandlerError.invalidInput(`request body: ${e.message}`);
    }
  }
}

/** An outbound HTTP request; mirrors the WIT `outbound-http.request`. */
export class HttpRequest extends Request {
  /**
   * @param {string} method upper-cased here
   * @param {string} url an absolute http(s) URL on a host the manifest grants
   * @param {{headers?: [string, string][] | Record<string, string>, body?: string | Uint8Array}} [init]
   */
  constructor(method, url, init = {}) {
    super(method, init);
    this.url = String(url);
  }

  /** The WIT value. */
  toWit() {
    return { method: this.method, url: this.url, headers: this.headers, body: this.body };
  }

  /** `request` itself, or an HttpRequest from a plain `{method, url, headers?, body?}`. */
  static from(request) {
    if (request instanceof HttpRequest) return request;
    if (request === null || typeof request !== 'object') throw new TypeError('an HTTP request is an HttpRequest or {method, url, headers?, body?}');
    return new HttpRequest(request.method ?? 'GET', request.url, request);
  }
}

/** An HTTP response; any status is a response. Mirrors the WIT `outbound-http.response`. */
export class HttpResponse extends Message {
  /**
   * @param {number} status
   * @param {{headers?: [string, string][] | Record<string, string>, body?: string | Uint8Array}} [init]
   */
  constructor(status, init = {}) {
    super();
    this.status = status;
    this.headers = headerPairs(init.headers).map(([n, v]) => [n.toLowerCase(), v]);
    this.body = bytes(init.body);
  }

  /** A JSON response (`content-type: application/json`), e.g. for a test double. */
  static json(status, value) {
    return new HttpResponse(status, { headers: [['content-type', JSON_TYPE]], body: JSON.stringify(value) });
  }

  /** From the WIT value. */
  static fromWit(wit) {
    return new HttpResponse(wit.status, { headers: wit.headers, body: wit.body });
  }

  /** Whether the status is 2xx. */
  get ok() {
    return this.status >= 200 && this.status < 300;
  }

  /** The body decoded as JSON; throws `failed` ("response body: …"). The status is not checked. */
  json() {
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw HandlerError.failed(`response body: ${e.message}`);
    }
  }
}

/** The methods Bold's API import accepts. */
export const BOLD_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Headers the host sets itself; a request that gives one is refused. */
export const RESERVED_HEADERS = [
  'authorization',
  'x-bold-checkout-access-token',
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-connection',
  'keep-alive',
];

/** The longest path the host accepts, in bytes. */
export const MAX_PATH_BYTES = 8 * 1024;

const PCHAR = "-._~!$&'()*+,;=:@";

/** A request to Bold's API for the call's shop; mirrors the WIT `bold-api.request`. */
export class BoldApiRequest extends Request {
  /**
   * @param {string} method upper-cased here
   * @param {string} path below `/api/v1/{platform}/{shop}/`, no leading `/`, e.g. `orders/abc123`
   * @param {{headers?: [string, string][] | Record<string, string>, body?: string | Uint8Array}} [init]
   */
  constructor(method, path, init = {}) {
    super(method, init);
    this.path = String(path);
  }

  /**
   * The checks the host makes before it sends a request (besides its size
   * caps): the method, the path (`checkPath`), no reserved header. Throws
   * `BoldApiError('invalid-request', …)` as the host would answer.
   */
  check() {
    if (!BOLD_METHODS.includes(this.method)) {
      throw new BoldApiError('invalid-request', `method \`${this.method}\` is not allowed (GET, POST, PUT, PATCH or DELETE)`);
    }
    const problem = checkPath(this.path);
    if (problem !== undefined) throw new BoldApiError('invalid-request', problem);
    for (const [name] of this.headers) {
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.includes(lower)) {
        throw new BoldApiError('invalid-request', `header \`${lower}\` is set by the host and cannot be given`);
      }
    }
  }

  toWit() {
    return { method: this.method, path: this.path, headers: this.headers, body: this.body };
  }

  /** `request` itself, or a BoldApiRequest from a plain `{method, path, headers?, body?}`. */
  static from(request) {
    if (request instanceof BoldApiRequest) return request;
    if (request === null || typeof request !== 'object') throw new TypeError('a Bold API request is a BoldApiRequest or {method, path, headers?, body?}');
    return new BoldApiRequest(request.method ?? 'GET', request.path, request);
  }
}

function checkChars(text, also) {
  const utf8 = encoder.encode(text);
  for (let i = 0; i < utf8.length; ) {
    const b = utf8[i];
    if (b === 0x25) {
      const hex = String.fromCharCode(utf8[i + 1] ?? 0, utf8[i + 2] ?? 0);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return `\`${text}\`: \`%\` must start an escape like \`%20\``;
      const decoded = parseInt(hex, 16);
      if (decoded === 0x2e || decoded === 0x2f || decoded === 0x5c) {
        return `\`${text}\`: an encoded \`.\`, \`/\` or \`\\\` is not allowed`;
      }
      i += 3;
      continue;
    }
    const c = String.fromCharCode(b);
    if (!(b < 0x80 && (/[A-Za-z0-9]/.test(c) || PCHAR.includes(c) || also.includes(c)))) {
      const ch = decoder.decode(utf8.slice(i)).codePointAt(0);
      return `\`${text}\`: the character ${JSON.stringify(String.fromCodePoint(ch))} must be percent-encoded`;
    }
    i += 1;
  }
  return undefined;
}

/**
 * Checks a path below the shop as the host does; returns what is wrong,
 * or `undefined` when it is fine. Relative (no leading `/`), segments of
 * letters, digits and `-._~!$&'()*+,;=:@` or `%XX` escapes, no empty, `.`
 * or `..` segment, no encoded `.`, `/` or `\`, an optional query, no
 * fragment, at most MAX_PATH_BYTES.
 */
export function checkPath(path) {
  if (path === '') return 'the path is empty';
  if (encoder.encode(path).length > MAX_PATH_BYTES) return `the path is over ${MAX_PATH_BYTES} bytes`;
  const q = path.indexOf('?');
  const pathPart = q === -1 ? path : path.slice(0, q);
  const query = q === -1 ? undefined : path.slice(q + 1);
  if (pathPart.startsWith('/')) return 'the path must be relative to the shop (no leading `/`)';
  for (const segment of pathPart.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') {
      return `path \`${path}\`: empty, \`.\` and \`..\` segments are not allowed`;
    }
    const problem = checkChars(segment, '');
    if (problem !== undefined) return problem;
  }
  if (query !== undefined) return checkChars(query, '/?');
  return undefined;
}

/**
 * `text` percent-encoded for use as one URL path segment (or a query
 * value): every byte but `A-Z a-z 0-9 - . _ ~` becomes `%XX`.
 */
export function encodePathSegment(text) {
  let out = '';
  for (const b of encoder.encode(String(text))) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
