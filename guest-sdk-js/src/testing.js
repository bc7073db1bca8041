// Test helpers for `node --test`: a test double for every host import
// (`TestHost`), Bold's sample events, runners that check answers as the
// plugin host does, and assertions on actions. Node only.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { actionsToWit } from './export.js';
import { BoldApiError, HandlerError, HttpError, toWitError } from './errors.js';
import { Event } from './event.js';
import { Host } from './host.js';
import { BoldApiRequest, HttpRequest, HttpResponse } from './http.js';
import { Refusal, checkActions, checkOverride, DEFAULT_OUTPUT_LIMIT } from './protocol.js';

export { checkActions, checkOverride, DEFAULT_OUTPUT_LIMIT, Refusal } from './protocol.js';

/** A request no scripted answer and no double answered. Fails the runners even when a handler swallows it. */
export class UnscriptedRequest extends Error {
  constructor(message) {
    super(message);
    this.name = 'UnscriptedRequest';
  }
}

class Script {
  /** @type {{method: string, target: string, answer: () => unknown}[]} */
  routes = [];

  set(method, target, answer) {
    const m = String(method).toUpperCase();
    const route = this.routes.find((r) => r.method === m && r.target === target);
    if (route) route.answer = answer;
    else this.routes.push({ method: m, target, answer });
  }

  find(method, target) {
    return this.routes.find((r) => r.method === String(method).toUpperCase() && r.target === target);
  }

  describe() {
    return `[${this.routes.map((r) => `${r.method} ${r.target}`).join(', ')}]`;
  }
}

function answerWith(answer) {
  if (answer instanceof Error) throw answer;
  return answer;
}

/**
 * A Host for tests: config and the call's shop set with `with…` methods
 * (each returns the host), log records kept (`logs`, `logged`), outbound
 * HTTP and Bold API requests answered by scripted answers or a function,
 * every request recorded (`requests`, `boldRequests`).
 *
 * A request nothing answers throws an `UnscriptedRequest` naming it and is
 * recorded in `unscripted`: the runners (`runEvent`, …) fail on it even
 * when the handler caught the exception.
 *
 * It also plays the manifest's side of the host's answer checks
 * (`policy()`): the plugin's scopes (`withScopes`; none declared by
 * default, so not scope-checked, unless the call's shop is installed),
 * `withExtraActionTypes`, `withOutputLimit`.
 */
export class TestHost extends Host {
  #config = [];
  #shop = undefined;
  #scopes = null;
  #extraActionTypes = new Set();
  #outputLimit = DEFAULT_OUTPUT_LIMIT;
  #httpScript = new Script();
  #http = undefined;
  #boldScript = new Script();
  #bold = undefined;

  /** @type {{level: string, message: string, fields: [string, string][]}[]} */
  logs = [];
  /** @type {HttpRequest[]} */
  requests = [];
  /** @type {BoldApiRequest[]} */
  boldRequests = [];
  /** @type {string[]} */
  unscripted = [];

  // --- set up --------------------------------------------------------------

  /** Sets (or replaces) one config value (as text, as the host hands it in). */
  withConfig(key, value) {
    const entry = this.#config.find(([k]) => k === key);
    if (entry) entry[1] = String(value);
    else this.#config.push([String(key), String(value)]);
    return this;
  }

  /** Makes `shop` the call's shop (a `Shop`); without it the call names none. */
  withShop(shop) {
    this.#shop = shop;
    return this;
  }

  /** Declares the plugin's scopes, as the manifest's `scopes` does. */
  withScopes(scopes) {
    this.#scopes = new Set(scopes);
    return this;
  }

  /** Allows action types outside Bold's list, as the manifest's `extra_action_types` does. */
  withExtraActionTypes(types) {
    for (const t of types) this.#extraActionTypes.add(t);
    return this;
  }

  /** Sets the largest answer in bytes (`[limits] output_bytes`; default 256 KiB). */
  withOutputLimit(bytes) {
    this.#outputLimit = bytes;
    return this;
  }

  /** Answers every `method` request to exactly `url` with `response` (an HttpResponse). */
  withHttpResponse(method, url, response) {
    this.#httpScript.set(method, url, response);
    return this;
  }

  /** Answers every `method` request to exactly `url` with `error` (an HttpError: no response). */
  withHttpError(method, url, error) {
    if (!HttpError.is(error)) throw new TypeError('withHttpError takes an HttpError');
    this.#httpScript.set(method, url, error);
    return this;
  }

  /** Answers the requests nothing scripted answers with `double(request)` (return an HttpResponse, throw an HttpError). */
  withHttp(double) {
    this.#http = double;
    return this;
  }

  /** Answers every `method` Bold API request for exactly `path` (query included) with `response`. */
  withBoldResponse(method, path, response) {
    this.#boldScript.set(method, path, response);
    return this;
  }

  /** Answers every `method` Bold API request for exactly `path` with `error` (a BoldApiError). */
  withBoldError(method, path, error) {
    if (!BoldApiError.is(error)) throw new TypeError('withBoldError takes a BoldApiError');
    this.#boldScript.set(method, path, error);
    return this;
  }

  /** Answers the Bold API requests nothing scripted answers with `double(request)`. */
  withBoldApi(double) {
    this.#bold = double;
    return this;
  }

  // --- inspect ---------------------------------------------------------------

  /** Whether some logged message contains `text`. */
  logged(text) {
    return this.logs.some((r) => r.message.includes(text));
  }

  /** What the host would check this call's answers against. */
  policy() {
    const shop = this.#shop;
    const scopes = shop && shop.installed ? new Set(shop.scopes) : this.#scopes;
    return { scopes, extraActionTypes: new Set(this.#extraActionTypes), outputLimit: this.#outputLimit };
  }

  /** Throws when some request went unanswered (the runners call it). */
  assertAllScripted() {
    if (this.unscripted.length > 0) {
      throw new UnscriptedRequest(`${this.unscripted.join('\n')}`);
    }
  }

  // --- the Host ----------------------------------------------------------------

  config(key) {
    const entry = this.#config.find(([k]) => k === key);
    return entry ? entry[1] : undefined;
  }

  configAll() {
    return this.#config.map(([k, v]) => [k, v]);
  }

  writeLog(level, message, fields) {
    this.logs.push({ level, message, fields });
  }

  http(request) {
    const req = HttpRequest.from(request);
    this.requests.push(req);
    const route = this.#httpScript.find(req.method, req.url);
    if (route) return answerWith(route.answer);
    if (this.#http) return this.#http(req);
    return this.#unscripted(
      'HTTP',
      `${req.method} ${req.url}`,
      this.#httpScript,
      '`withHttpResponse`, `withHttpError` or `withHttp`',
    );
  }

  shop() {
    return this.#shop;
  }

  boldApi(request) {
    const req = BoldApiRequest.from(request);
    this.boldRequests.push(req);
    if (!this.#shop) throw new BoldApiError('no-shop');
    if (!this.#shop.installed) throw new BoldApiError('not-installed');
    req.check();
    const route = this.#boldScript.find(req.method, req.path);
    if (route) return answerWith(route.answer);
    if (this.#bold) return this.#bold(req);
    return this.#unscripted(
      'Bold API',
      `${req.method} ${req.path}`,
      this.#boldScript,
      '`withBoldResponse`, `withBoldError` or `withBoldApi`',
    );
  }

  #unscripted(what, request, script, how) {
    const message = `TestHost: unscripted ${what} request \`${request}\`; script it with ${how} (scripted: ${script.describe()})`;
    this.unscripted.push(message);
    throw new UnscriptedRequest(message);
  }
}

// --- fixtures ------------------------------------------------------------------

const FIXTURES_DIR = new URL('../fixtures/', import.meta.url);
const FIXTURE_NAMES = ['initialize_checkout', 'order_submitted_us', 'app_hook'];

/**
 * The names of the bundled Bold sample events: `initialize_checkout`,
 * `order_submitted_us` (a US shipping address, two line items, one with
 * property `gift_wrap: yes`), `app_hook` (hook `apply_loyalty_discount`).
 */
export function fixtureNames() {
  return [...FIXTURE_NAMES];
}

/** The raw JSON text of a bundled fixture. */
export function fixtureJson(name) {
  if (!FIXTURE_NAMES.includes(name)) {
    throw new Error(`no fixture ${JSON.stringify(name)}; there are: ${FIXTURE_NAMES.join(', ')}`);
  }
  return readFileSync(new URL(`${name}.json`, FIXTURES_DIR), 'utf8');
}

/** A bundled fixture as an Event (named by its `event` field). */
export function fixture(name) {
  return Event.parse(fixtureJson(name));
}

/**
 * A bundled fixture, changed by `edit(body)` (mutate the parsed body, or
 * return a new one) before it becomes an Event: edge cases close to a real
 * payload.
 */
export function fixtureWith(name, edit) {
  const body = JSON.parse(fixtureJson(name));
  const edited = edit(body);
  return eventFromJson(edited === undefined ? body : edited);
}

/** An Event from a JSON value (named by its `event` field). */
export function eventFromJson(body) {
  return Event.parse(JSON.stringify(body));
}

// --- runners -------------------------------------------------------------------

function isThenable(value) {
  return value !== null && typeof value === 'object' && typeof value.then === 'function';
}

/** The HandlerError the host would get for something a handler threw. */
function asHandlerError(thrown) {
  if (HandlerError.is(thrown)) return thrown;
  const wit = toWitError(thrown);
  const error = new HandlerError(wit.tag, wit.val);
  error.cause = thrown;
  return error;
}

function refuse(refusal, actions) {
  let detail = '';
  if (refusal.action !== undefined && actions) {
    const text = JSON.stringify(actions[refusal.action]);
    detail = `\n  actions[${refusal.action}] = ${text.length > 500 ? `${text.slice(0, 500)}… (${text.length} bytes)` : text}`;
  }
  const error = new assert.AssertionError({ message: `the host would refuse this answer as ${refusal.message}${detail}` });
  error.refusal = refusal;
  return error;
}

function run(host, call, finish) {
  const fail = (thrown) => {
    host.assertAllScripted();
    throw asHandlerError(thrown);
  };
  let out;
  try {
    out = call();
  } catch (e) {
    return fail(e);
  }
  const done = (value) => {
    host.assertAllScripted();
    return finish(value);
  };
  return isThenable(out) ? Promise.resolve(out).then(done, fail) : done(out);
}

/**
 * Runs `plugin.handleEvent(event, host)` as the component would and checks
 * the actions as the host does (`checkActions` against `host.policy()`).
 *
 * Returns the actions. Throws the HandlerError the host would get (any
 * other exception becomes `failed`, with the original as `cause`), an
 * AssertionError when the host would refuse the answer (its fault kind and
 * reason, word for word), or an UnscriptedRequest when the handler made a
 * request nothing answered. An async handler gives a Promise.
 */
export function runEvent(plugin, event, host = new TestHost()) {
  return run(
    host,
    () => plugin.handleEvent(event, host),
    (actions) => {
      try {
        actionsToWit(actions);
      } catch (e) {
        throw asHandlerError(e);
      }
      try {
        checkActions(actions, host.policy());
      } catch (e) {
        if (e instanceof Refusal) throw refuse(e, actions);
        throw e;
      }
      return actions;
    },
  );
}

/**
 * Runs `plugin.handleOverride(kind, body, host)` and checks the answer as
 * the host does (within the output limit, JSON). An unsupported kind (or
 * no `handleOverride`) throws `HandlerError('unsupported')`.
 */
export function runOverride(plugin, kind, body, host = new TestHost()) {
  if (typeof plugin.handleOverride !== 'function') throw HandlerError.unsupported();
  return run(
    host,
    () => plugin.handleOverride(kind, body, host),
    (answer) => {
      const text = typeof answer === 'string' ? answer : JSON.stringify(answer);
      if (text === undefined) throw HandlerError.failed('TypeError: handleOverride must return JSON text (or a value JSON can encode)');
      try {
        checkOverride(text, host.policy());
      } catch (e) {
        if (e instanceof Refusal) throw refuse(e);
        throw e;
      }
      return text;
    },
  );
}

/** Runs `plugin.handleWebhook(topic, body, host)`. No `handleWebhook` throws `unsupported`. */
export function runWebhook(plugin, topic, body, host = new TestHost()) {
  if (typeof plugin.handleWebhook !== 'function') throw HandlerError.unsupported();
  return run(
    host,
    () => plugin.handleWebhook(topic, body, host),
    () => undefined,
  );
}

// --- assertions ------------------------------------------------------------------

/** The actions in Bold's wire shape, `[{type, data}, …]`. */
export function actionsJson(actions) {
  return JSON.parse(JSON.stringify(actions));
}

/** Asserts that `actions` are, on the wire, the JSON `expected`; shows both, pretty, when they differ. */
export function assertActions(actions, expected) {
  const actual = actionsJson(actions);
  try {
    assert.deepStrictEqual(actual, expected);
  } catch (e) {
    e.message = `actions differ\n--- actual ---\n${JSON.stringify(actual, null, 2)}\n--- expected ---\n${JSON.stringify(expected, null, 2)}`;
    throw e;
  }
}

export { HttpResponse, HttpError, BoldApiError };
