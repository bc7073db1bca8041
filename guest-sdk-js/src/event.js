// One checkout event: its name and the JSON body Bold sent.

import { HandlerError } from './errors.js';
import { map, optText, seq, id as decodeId } from './lenient.js';
import { decode } from './types.js';

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Undoes RFC 6901 escaping: `~1` is `/`, `~0` is `~`. */
function unescapeSegment(segment) {
  return segment.includes('~') ? segment.replace(/~1/g, '/').replace(/~0/g, '~') : segment;
}

/** RFC 6901: a list index is `0` or digits without a leading zero. */
function listIndex(segment) {
  return segment === '0' || /^[1-9][0-9]*$/.test(segment) ? Number(segment) : undefined;
}

/**
 * One checkout event: its name and the JSON body Bold sent.
 *
 * The body is parsed once, when the event is made; each accessor decodes
 * its part on first use and caches it. Every accessor is lenient (see
 * `types.js`): a missing key or `null` decodes to an empty value, never to
 * an error; a value of the wrong shape throws
 * `HandlerError('invalid-input', '<key>: …')`, which a handler usually lets
 * through (it becomes the WIT `invalid-input`).
 */
export class Event {
  #name;
  #body;
  #json;
  #cache = new Map();

  /**
   * @param {string} name the event name (the WIT event's `name`)
   * @param {string} body the raw JSON body; must be a JSON object
   */
  constructor(name, body) {
    if (typeof body !== 'string') {
      throw new TypeError('Event: the body is the JSON text Bold sent (a string)');
    }
    let json;
    try {
      json = JSON.parse(body);
    } catch (e) {
      throw HandlerError.invalidInput(`body: ${e && e.message ? e.message : e}`);
    }
    if (!isPlainObject(json)) {
      throw HandlerError.invalidInput('body: not a JSON object');
    }
    this.#name = String(name);
    this.#body = body;
    this.#json = json;
  }

  /**
   * An event from a raw JSON body, named by the body's `event` field.
   * Throws `invalid-input` when the body is not a JSON object or has no
   * string `event` field.
   */
  static parse(body) {
    const event = new Event('', body);
    const name = event.#json.event;
    if (name === undefined) {
      throw HandlerError.invalidInput('event: missing');
    }
    if (typeof name !== 'string') {
      throw HandlerError.invalidInput('event: not a string');
    }
    event.#name = name;
    return event;
  }

  /** The event name, e.g. `initialize_checkout`, `order_submitted`, `app_hook`. */
  get name() {
    return this.#name;
  }

  /** The raw JSON body, as received. */
  get body() {
    return this.#body;
  }

  /** The parsed body (do not modify it). */
  get json() {
    return this.#json;
  }

  /** The top-level keys of the body, in order. */
  keys() {
    return Object.keys(this.#json);
  }

  /** A top-level value as parsed (not decoded), `undefined` when missing. */
  field(key) {
    return Object.hasOwn(this.#json, key) ? this.#json[key] : undefined;
  }

  #cached(key, decoder) {
    if (!this.#cache.has(key)) {
      this.#cache.set(key, decoder(this.field(key), key));
    }
    return this.#cache.get(key);
  }

  /** The cart (`cart`); empty when missing. */
  cart() {
    return this.#cached('cart', decode.cart);
  }

  /** The customer (`customer`); empty when missing. */
  customer() {
    return this.#cached('customer', decode.customer);
  }

  /** The order (`order`); empty when missing. */
  order() {
    return this.#cached('order', decode.order);
  }

  /** The cart parameters plugins set earlier (`cart_params`); `{}` when missing or `[]`. */
  cartParams() {
    return this.#cached('cart_params', map);
  }

  /** The event's properties (`properties`), e.g. `hook` for `app_hook`. */
  properties() {
    return this.#cached('properties', map);
  }

  /** For `app_hook`: the hook's name (`properties.hook`), if it is a string. */
  hook() {
    const hook = this.properties().hook;
    return typeof hook === 'string' ? hook : undefined;
  }

  /** Bold's order id (`order_id`), a number or a string; `null` when missing. */
  orderId() {
    return this.#cached('order_id', decodeId);
  }

  /** The idempotency key (`idempotent_key`), `null` when not set. */
  idempotentKey() {
    return this.#cached('idempotent_key', optText);
  }

  /** The buyer's language (`language_iso`), e.g. `fr`; `null` when not set. */
  languageIso() {
    return this.#cached('language_iso', optText);
  }

  /** The shipping lines (`shipping_lines`), undecoded; empty entries skipped. */
  shippingLines() {
    return this.#cached('shipping_lines', seq);
  }

  /** The tax lines (`tax_lines`), undecoded; empty entries skipped. */
  taxLines() {
    return this.#cached('tax_lines', seq);
  }

  /** The discount lines (`discount_lines`), undecoded; empty entries skipped. */
  discountLines() {
    return this.#cached('discount_lines', seq);
  }

  /**
   * The value at a JSON pointer (RFC 6901, e.g. `/order/public_order_id`
   * or `/cart/line_items/0/sku`; `""` is the whole body), decoded with
   * `decoder(value, pointer)` when one is given (e.g. `lenient.id`,
   * `lenient.int`, `decode.address`).
   *
   * `undefined` when any step is missing, when a step meets a value that
   * is not an object or list (Bold's `[]` included), and when the value
   * is `null`. A list step must be a canonical index: `/01` is not one.
   * A pointer that does not start with `/` throws `invalid-input`.
   *
   * @template T
   * @param {string} pointer
   * @param {(value: unknown, path: string) => T} [decoder]
   */
  pointer(pointer, decoder) {
    let value = this.#json;
    if (pointer !== '') {
      if (typeof pointer !== 'string' || !pointer.startsWith('/')) {
        throw HandlerError.invalidInput(`${pointer}: a JSON pointer starts with '/'`);
      }
      for (const raw of pointer.slice(1).split('/')) {
        const segment = unescapeSegment(raw);
        if (Array.isArray(value)) {
          const index = listIndex(segment);
          if (index === undefined || index >= value.length) return undefined;
          value = value[index];
        } else if (isPlainObject(value)) {
          if (!Object.hasOwn(value, segment)) return undefined;
          value = value[segment];
        } else {
          return undefined;
        }
      }
    }
    if (value === null || value === undefined) return undefined;
    return decoder ? decoder(value, pointer) : value;
  }
}
