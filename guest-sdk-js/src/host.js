// What the host offers a handler: its config, a log, outbound HTTP, the
// call's shop and Bold's API for that shop.
//
// Handlers get a `Host`. In the component it is built from the WIT imports
// (`component.js`); in tests it is a `TestHost` (`testing.js`), so a
// handler never imports a WIT module and runs under node.

import { BoldApiError, HandlerError, HttpError } from './errors.js';
import { BoldApiRequest, HttpRequest, JSON_TYPE } from './http.js';

/** Severities of the WIT `log.level`. */
export const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** The shop of a call; mirrors the WIT `shop.shop-info`. */
export class Shop {
  /**
   * @param {{platform: string, shop: string, installed: boolean, scopes?: string[]}} info
   */
  constructor({ platform, shop, installed, scopes = [] }) {
    this.platform = String(platform);
    this.shop = String(shop);
    this.installed = Boolean(installed);
    this.scopes = [...scopes].map(String);
  }

  /** A shop the plugin is installed on, with the scopes Bold granted. */
  static installed(platform, shop, scopes = []) {
    return new Shop({ platform, shop, installed: true, scopes });
  }

  /** A shop the plugin is not installed on (no token, no scopes). */
  static notInstalled(platform, shop) {
    return new Shop({ platform, shop, installed: false, scopes: [] });
  }

  /** Whether Bold granted `scope` (exact match). */
  hasScope(scope) {
    return this.scopes.includes(scope);
  }
}

function fieldPairs(fields) {
  const pairs = Array.isArray(fields) ? fields : Object.entries(fields ?? {});
  return pairs.map(([k, v]) => [String(k), String(v)]);
}

function withAccept(request, headers) {
  for (const [name, value] of Array.isArray(headers) ? headers : Object.entries(headers ?? {})) {
    request.withHeader(name, value);
  }
  if (request.header('accept') === undefined) request.withHeader('accept', JSON_TYPE);
  return request;
}

/**
 * The host's services. Subclasses implement the primitives (`config`,
 * `configAll`, `writeLog`, `http`, `shop`, `boldApi`); everything else is
 * built on them.
 */
export class Host {
  // --- primitives --------------------------------------------------------

  /** The value of one of the plugin's settings, `undefined` when not set. */
  // eslint-disable-next-line no-unused-vars
  config(key) {
    return undefined;
  }

  /** Every setting, as `[key, value]` pairs. */
  configAll() {
    return [];
  }

  /** Writes one record. Prefer `log`/`info`/…, which check their arguments. */
  // eslint-disable-next-line no-unused-vars
  writeLog(level, message, fields) {}

  /**
   * Sends one request and returns the complete response (any status is a
   * response); throws an HttpError when there is none. Only the hosts the
   * manifest grants (`[outbound] allowed_hosts`) can be reached.
   *
   * @param {HttpRequest} request
   * @returns {import('./http.js').HttpResponse}
   */
  http(request) {
    throw new HttpError('not-allowed', `${request.method} ${request.url}: this host offers no outbound HTTP`);
  }

  /** The shop of this call, `undefined` when the call named none. */
  shop() {
    return undefined;
  }

  /**
   * Sends one request to Bold's API for the call's shop with its token
   * (added by the host) and returns the complete response; throws a
   * BoldApiError when there is none (`no-shop`, `not-installed`, …).
   *
   * @param {BoldApiRequest} request
   */
  // eslint-disable-next-line no-unused-vars
  boldApi(request) {
    throw new BoldApiError('no-shop');
  }

  // --- logging -----------------------------------------------------------

  /**
   * Writes one log record: a level (`trace` … `error`), a message and
   * key/value fields (`{type: 'created'}` or `[['type', 'created']]`,
   * values as text). The host caps the bytes logged per invocation;
   * logging never fails. Do not log personal data.
   */
  log(level, message, fields = []) {
    if (!LEVELS.includes(level)) {
      throw new TypeError(`log level must be one of ${LEVELS.join(', ')}, not ${JSON.stringify(level)}`);
    }
    this.writeLog(level, String(message), fieldPairs(fields));
  }

  trace(message, fields) {
    this.log('trace', message, fields);
  }

  debug(message, fields) {
    this.log('debug', message, fields);
  }

  info(message, fields) {
    this.log('info', message, fields);
  }

  warn(message, fields) {
    this.log('warn', message, fields);
  }

  error(message, fields) {
    this.log('error', message, fields);
  }

  // --- config ------------------------------------------------------------

  /**
   * The setting `key` read as the type of `fallback` (surrounding
   * whitespace ignored), or `fallback` when it is not set: an integer for
   * a number (`"5"`; `"5.5"` and `"many"` are errors), `true`/`false` for
   * a boolean, the text for a string. A value that does not read throws
   * `HandlerError('failed', 'config `key`: invalid value "…": …')`.
   */
  configOr(key, fallback) {
    const value = this.config(key);
    if (value === undefined || value === null) return fallback;
    const t = String(value).trim();
    const invalid = (why) => HandlerError.failed(`config \`${key}\`: invalid value ${JSON.stringify(value)}: ${why}`);
    switch (typeof fallback) {
      case 'number': {
        if (!/^[+-]?\d+$/.test(t)) throw invalid('not an integer');
        const n = Number(t);
        if (!Number.isSafeInteger(n)) throw invalid('out of range');
        return n;
      }
      case 'bigint':
        if (!/^[+-]?\d+$/.test(t)) throw invalid('not an integer');
        return BigInt(t);
      case 'boolean':
        if (t === 'true') return true;
        if (t === 'false') return false;
        throw invalid('not true or false');
      default:
        return t;
    }
  }

  // --- outbound HTTP helpers ---------------------------------------------

  /** Sends a `GET` with `headers` (and `accept: application/json` unless given). */
  get(url, headers = []) {
    return this.http(withAccept(new HttpRequest('GET', url), headers));
  }

  /**
   * Sends a `GET` and returns the 2xx response's JSON body. Every failure
   * throws `HandlerError('failed', 'GET <url>: …')`: no response, a status
   * other than 2xx, a body that is not JSON.
   */
  getJson(url, headers = []) {
    let response;
    try {
      response = this.get(url, headers);
    } catch (e) {
      if (HttpError.is(e)) throw HandlerError.failed(`GET ${url}: ${e.message}`);
      throw e;
    }
    if (!response.ok) throw HandlerError.failed(`GET ${url}: HTTP ${response.status}`);
    try {
      return JSON.parse(response.text());
    } catch (e) {
      throw HandlerError.failed(`GET ${url}: response body: ${e.message}`);
    }
  }

  /** Sends `body` as JSON (content-type and accept `application/json` unless given) with `method`. */
  sendJson(method, url, headers, body) {
    return this.http(withAccept(new HttpRequest(method, url), headers).withJson(body));
  }

  // --- Bold API helpers --------------------------------------------------

  /** Sends a `GET` to Bold's API for the call's shop, with `accept: application/json`. */
  boldGet(path) {
    return this.boldApi(new BoldApiRequest('GET', path).withHeader('accept', JSON_TYPE));
  }

  /**
   * Sends a `GET` to Bold's API and returns the 2xx response's JSON body.
   * No response throws `BoldApiError#toHandlerError('Bold API GET <path>')`
   * (`no-shop` is `invalid-input`, the rest `failed`); a status other than
   * 2xx or a body that is not JSON `failed`.
   */
  boldGetJson(path) {
    const context = `Bold API GET ${path}`;
    let response;
    try {
      response = this.boldGet(path);
    } catch (e) {
      if (BoldApiError.is(e)) throw e.toHandlerError(context);
      throw e;
    }
    if (!response.ok) throw HandlerError.failed(`${context}: HTTP ${response.status}`);
    try {
      return JSON.parse(response.text());
    } catch (e) {
      throw HandlerError.failed(`${context}: response body: ${e.message}`);
    }
  }

  /** Sends `body` as JSON with `method` to Bold's API for the call's shop. */
  boldSendJson(method, path, body) {
    return this.boldApi(new BoldApiRequest(method, path).withHeader('accept', JSON_TYPE).withJson(body));
  }
}
