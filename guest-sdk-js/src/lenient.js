// Lenient decoders for Bold's PHP-flavoured JSON: the rules of the Rust
// SDK (`guest-sdk/src/lenient.rs`, `types.rs`).
//
// Every decoder takes an already parsed JSON value and the path it was
// found at (for messages), and returns the decoded value or throws
// `HandlerError('invalid-input', '<path>: <what is wrong>')`.

import { HandlerError } from './errors.js';

/** The largest magnitude an integer keeps exactly in a JS number. */
const SAFE = Number.MAX_SAFE_INTEGER;

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  switch (typeof value) {
    case 'string':
      return `string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case 'number':
      return `number ${value}`;
    case 'boolean':
      return `boolean ${value}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function fail(path, value, expected) {
  return HandlerError.invalidInput(`${path}: invalid value: ${describe(value)}, expected ${expected}`);
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Whether a list entry is empty (`[]`, `{}` or `null`): such entries are skipped. */
export function isEmptyEntry(value) {
  return (
    value === null ||
    value === undefined ||
    (Array.isArray(value) && value.length === 0) ||
    (isPlainObject(value) && Object.keys(value).length === 0)
  );
}

/**
 * An integer that may arrive as a number, a numeric string (`"1500"`,
 * `" 15 "`, `"15.0"`), or `null`/`""` (→ `null`). Money is integer cents.
 * Fractions, booleans, objects and lists are errors. Integers beyond
 * ±2^53 are refused rather than silently rounded.
 */
export function optInt(value, path = 'value') {
  if (value === null || value === undefined) return null;
  const expected = 'an integer (number or numeric string) or null';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) <= SAFE) return value;
    throw fail(path, value, expected);
  }
  if (typeof value === 'string') {
    const t = value.trim();
    if (t === '') return null;
    if (/^[+-]?\d+$/.test(t)) {
      const n = Number(t);
      if (Math.abs(n) <= SAFE) return n;
      throw fail(path, value, expected);
    }
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
      const n = Number(t);
      if (Number.isInteger(n) && Math.abs(n) <= SAFE) return n;
    }
    throw fail(path, value, expected);
  }
  throw fail(path, value, expected);
}

/** `optInt`, with `null` and `""` decoding to 0. */
export function int(value, path = 'value') {
  return optInt(value, path) ?? 0;
}

/** Text that may arrive as a string, a number or a boolean; `null` → `null`. */
export function optText(value, path = 'value') {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
      return String(value);
    default:
      throw fail(path, value, 'a string, number, boolean or null');
  }
}

/** `optText`, with `null` decoding to `""`. */
export function text(value, path = 'value') {
  return optText(value, path) ?? '';
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];
const FALSE_WORDS = ['false', '0', 'no', 'off'];

/**
 * A boolean that may arrive as `true`/`false`, a number (non-zero is true),
 * a string such as `"true"`, `"1"`, `"yes"`, `"on"`, `"false"`, `"0"`,
 * `"no"`, `"off"` (any case), or `null`/`""` (→ `null`: not known).
 */
export function optFlag(value, path = 'value') {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    const t = value.trim().toLowerCase();
    if (t === '') return null;
    if (TRUE_WORDS.includes(t)) return true;
    if (FALSE_WORDS.includes(t)) return false;
  }
  throw fail(path, value, 'a boolean (or 0/1, "true"/"false") or null');
}

/**
 * An id that Bold sends sometimes as a number and sometimes as a string:
 * kept in the form it arrived in (`number` or `string`); `null` when
 * missing. Compare ids with `sameId`, read them with `idText`/`idInt`.
 *
 * @returns {number | string | null}
 */
export function id(value, path = 'value') {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) {
    return Number.isInteger(value) && Math.abs(value) <= SAFE ? value : String(value);
  }
  throw fail(path, value, 'an id (number or string)');
}

/** The id as text, whatever form it arrived in; `""` for none. */
export function idText(value) {
  return value === null || value === undefined ? '' : String(value);
}

/** The id as an integer (the number, or the string parsed as one), else `null`. */
export function idInt(value) {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) {
    const n = Number(value.trim());
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

/** Whether two ids are the same, comparing their text (`9` and `"9"` are). */
export function sameId(a, b) {
  if (a === null || a === undefined || b === null || b === undefined) return false;
  return String(a) === String(b);
}

/**
 * A string-keyed map that may arrive as an object, as `[]`/`null` (empty),
 * or as a non-empty PHP list (keys become `"0"`, `"1"`, …). Values are kept
 * as they are.
 */
export function map(value, path = 'value') {
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) {
    const out = {};
    value.forEach((v, i) => {
      out[String(i)] = v;
    });
    return out;
  }
  if (isPlainObject(value)) return { ...value };
  throw fail(path, value, 'an object (or [] or null for an empty one)');
}

/**
 * A list whose empty entries (`[]`, `{}`, `null`) are skipped; the list
 * itself may be `null` (empty) or a PHP associative array (an object whose
 * values are the entries, in order). `entry(value, path)` decodes each
 * remaining entry.
 */
export function seq(value, path = 'value', entry = (v) => v) {
  if (value === null || value === undefined) return [];
  let entries;
  if (Array.isArray(value)) {
    entries = value.map((v, i) => [`${path}[${i}]`, v]);
  } else if (isPlainObject(value)) {
    entries = Object.entries(value).map(([k, v]) => [`${path}.${k}`, v]);
  } else {
    throw fail(path, value, 'a list');
  }
  const out = [];
  for (const [p, v] of entries) {
    if (!isEmptyEntry(v)) out.push(entry(v, p));
  }
  return out;
}

/**
 * The shape of an object for `object()`: each known key with its decoder
 * and, when they differ from the key, its wire names (tried in order).
 * Made once per shape, so decoding walks plain arrays (cheap in the
 * component's interpreter, where every JS operation costs fuel).
 *
 * @param {Record<string, (value: unknown, path: string) => unknown>} fields
 * @param {Record<string, string[]>} [wireNames]
 */
export function shape(fields, wireNames = {}) {
  const keys = Object.keys(fields);
  const decoders = keys.map((k) => fields[k]);
  const names = keys.map((k) => wireNames[k] ?? [k]);
  const known = Object.create(null);
  for (const list of names) for (const n of list) known[n] = true;
  return { keys, decoders, names, known };
}

/**
 * An object of the given shape that may arrive as `[]` or `null` (empty).
 * Every known key gets decoded (missing ones from `undefined`, i.e. to the
 * decoder's default), and the keys not named are kept in `extra`, as sent.
 *
 * @param {unknown} value
 * @param {string} path
 * @param {ReturnType<typeof shape> | Record<string, (value: unknown, path: string) => unknown>} fields
 *   a `shape(…)`, or the fields themselves
 * @param {Record<string, string[]>} [wireNames] with plain fields: the wire
 *   names of a field, tried in order, when they are not its own name
 */
export function object(value, path, fields, wireNames) {
  const s = fields.known && Array.isArray(fields.keys) ? fields : shape(fields, wireNames);
  let source;
  if (value === null || value === undefined) {
    source = EMPTY;
  } else if (Array.isArray(value)) {
    if (value.length > 0) throw fail(path, value, 'an object (or [] or null for an empty one)');
    source = EMPTY;
  } else if (typeof value === 'object') {
    source = value;
  } else {
    throw fail(path, value, 'an object (or [] or null for an empty one)');
  }
  const out = {};
  const { keys, decoders, names, known } = s;
  for (let i = 0; i < keys.length; i++) {
    // Known keys are Bold's field names, none of them a property of
    // Object.prototype: a plain lookup is enough (and cheaper than hasOwn).
    const list = names[i];
    let wireKey = list[0];
    let v = source[wireKey];
    for (let j = 1; v === undefined && j < list.length; j++) {
      if (source[list[j]] !== undefined) {
        wireKey = list[j];
        v = source[wireKey];
      }
    }
    out[keys[i]] = decoders[i](v, path + '.' + wireKey);
  }
  const extra = {};
  for (const key in source) {
    if (known[key] !== true) extra[key] = source[key];
  }
  out.extra = extra;
  return out;
}

const EMPTY = Object.freeze({});
