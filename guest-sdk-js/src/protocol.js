// The host's checks of an answer (the Rust SDK's `protocol` and
// `testing::check_actions`), for tests under node: what `plugin-host`
// would refuse is refused here with the same fault kind and reason.

/** Kinds of `data` fields the host checks. */
const KIND_NAMES = {
  str: 'a string',
  int: 'an integer',
  bool: 'a boolean',
  strMap: 'an object of strings',
  hiddenSections: '{shipping_address: bool, saved_addresses: bool}',
  url: 'an http(s) URL',
};

const ADDRESS_FIELDS = [
  ['first_name', 'str'],
  ['last_name', 'str'],
  ['company', 'str'],
  ['address', 'str'],
  ['address2', 'str'],
  ['phone', 'str'],
  ['city', 'str'],
  ['province', 'str'],
  ['province_code', 'str'],
  ['country', 'str'],
  ['country_code', 'str'],
  ['postal_code', 'str'],
  ['update_billing', 'bool'],
  ['different_billing_address', 'bool'],
];
const URL_FIELDS = [['url', 'url']];

/**
 * Every action type the host knows: `[type, scope, fields | null]`
 * (`null`: fields not public, any object). Kept equal to the Rust
 * catalogue by a test (`guest-sdk/src/action/catalogue.md`).
 */
export const CATALOGUE = [
  [
    'add_line_item_by_platform_variant',
    'add_cart_item',
    [
      ['platform_variant_id', 'int'],
      ['line_item_key', 'str'],
      ['quantity', 'int'],
      ['properties', 'strMap'],
      ['price', 'int'],
      ['is_amendment', 'bool'],
    ],
  ],
  [
    'add_fee',
    'add_fee',
    [
      ['id', 'str'],
      ['line_text', 'str'],
      ['fee_type', 'str'],
      ['taxable', 'bool'],
      ['value', 'int'],
      ['is_amendment', 'bool'],
    ],
  ],
  ['add_note', 'modify_order', [['note', 'str']]],
  ['add_note_attribute', 'modify_order', null],
  ['add_cart_params', 'modify_order', null],
  ['add_line_item_property', 'modify_cart', null],
  ['add_disallowed_line_item_properties', 'modify_cart', null],
  ['add_tag', 'modify_order', null],
  ['adjust_line_item_price', 'modify_cart', null],
  ['discount_cart', 'modify_cart', null],
  ['discount_line_items', 'modify_cart', null],
  ['change_shipping_address', 'modify_shipping_address', ADDRESS_FIELDS],
  ['change_billing_address', 'modify_billing_address', ADDRESS_FIELDS],
  [
    'flag_order_as_bopis',
    'modify_order',
    [
      ['flag_order_as_bopis', 'bool'],
      ['hidden_sections', 'hiddenSections'],
    ],
  ],
  ['add_shipping_lines_value', 'modify_shipping', null],
  ['multiply_shipping_lines_value', 'modify_shipping', null],
  ['delay_payment_capture', 'modify_order', null],
  ['delay_platform_order', 'modify_order', null],
  ['disable_order_confirmation_email', 'modify_order', null],
  ['override_address_validate', 'provide_address_validation', URL_FIELDS],
  ['override_discount', 'provide_discounts', URL_FIELDS],
  ['override_inventory', 'provide_shipping_rates', URL_FIELDS],
  ['override_shipping', 'provide_shipping_rates', URL_FIELDS],
  ['override_tax', 'provide_taxes', URL_FIELDS],
];

const SPECS = new Map(CATALOGUE.map(([name, scope, fields]) => [name, { scope, fields }]));

/** The scope the host requires for a known action type, else `undefined`. */
export function requiredScope(type) {
  return SPECS.get(type)?.scope;
}

/** The host's default output limit (`[limits] output_bytes`): 256 KiB. */
export const DEFAULT_OUTPUT_LIMIT = 256 * 1024;

const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);
const U64_MAX = 2n ** 64n - 1n;

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function kindOk(kind, value) {
  switch (kind) {
    case 'str':
      return typeof value === 'string';
    case 'int':
      if (typeof value === 'bigint') return value >= I64_MIN && value <= U64_MAX;
      return typeof value === 'number' && Number.isInteger(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'strMap':
      return isObject(value) && Object.values(value).every((v) => typeof v === 'string');
    case 'hiddenSections':
      return (
        isObject(value) &&
        typeof value.shipping_address === 'boolean' &&
        typeof value.saved_addresses === 'boolean'
      );
    case 'url':
      return typeof value === 'string' && (value.startsWith('https://') || value.startsWith('http://'));
    default:
      return false;
  }
}

function isTypeName(name) {
  return name.length > 0 && new TextEncoder().encode(name).length <= 64 && /^[a-z0-9_]+$/.test(name);
}

/**
 * Why the host would refuse an answer: `kind` (`invalid_output` or
 * `output_limit`), `reason` (word for word) and the index of the action it
 * is about, when it is about one.
 */
export class Refusal extends Error {
  constructor(kind, reason, action) {
    super(`${kind}: ${reason}`);
    this.name = 'Refusal';
    this.kind = kind;
    this.reason = reason;
    this.action = action;
  }
}

/**
 * What the host checks an answer against: the plugin's scopes (`null`:
 * not scope-checked), the extra action types it may send, the output
 * limit.
 *
 * @typedef {{scopes: Set<string> | null, extraActionTypes: Set<string>, outputLimit: number}} ActionPolicy
 */

/** Validates one wire action `{type, data}`; returns the reason it is refused, or `undefined`. */
export function validate(wire, policy) {
  const name = wire.type;
  if (typeof name !== 'string' || !isTypeName(name)) {
    return `action type ${JSON.stringify(name)} is not a valid name`;
  }
  if (!isObject(wire.data)) return `action \`${name}\`: data is not a JSON object`;
  const known = SPECS.get(name);
  if (!known && !policy.extraActionTypes.has(name)) {
    return `action \`${name}\` is not a known Bold action (allow it in the manifest's \`extra_action_types\`)`;
  }
  for (const [field, kind] of known?.fields ?? []) {
    if (!Object.hasOwn(wire.data, field)) return `action \`${name}\`: \`${field}\` is missing`;
    if (!kindOk(kind, wire.data[field])) return `action \`${name}\`: \`${field}\` must be ${KIND_NAMES[kind]}`;
  }
  if (policy.scopes) {
    const needed = known ? known.scope : name;
    if (!policy.scopes.has(needed)) {
      return `action \`${name}\` needs scope \`${needed}\`, which the plugin was not granted`;
    }
  }
  return undefined;
}

function utf8Length(text) {
  return new TextEncoder().encode(text).length;
}

/**
 * Checks a handler's actions as the host does (in its order: every action
 * validated, then the size of Bold's response); returns the response text
 * `{"success":true,"actions":[…]}` or throws a Refusal.
 *
 * @param {import('./action.js').Action[]} actions
 * @param {ActionPolicy} policy
 */
export function checkActions(actions, policy) {
  const wire = actions.map((action) => {
    const json = action.toJSON();
    // A generic action crosses the boundary as JSON text that the host
    // parses back: what it validates is that text's value.
    return action.generic ? { type: json.type, data: JSON.parse(JSON.stringify(json.data)) } : json;
  });
  for (let i = 0; i < wire.length; i++) {
    const reason = validate(wire[i], policy);
    if (reason !== undefined) throw new Refusal('invalid_output', reason, i);
  }
  const body = JSON.stringify({ success: true, actions: wire });
  const len = utf8Length(body);
  if (len > policy.outputLimit) {
    throw new Refusal('output_limit', `answer of at least ${len} bytes is over the limit of ${policy.outputLimit} bytes`);
  }
  return body;
}

/** Checks an override answer as the host does: within the output limit, and JSON. */
export function checkOverride(body, policy) {
  const len = utf8Length(body);
  if (len > policy.outputLimit) {
    throw new Refusal('output_limit', `answer of at least ${len} bytes is over the limit of ${policy.outputLimit} bytes`);
  }
  try {
    JSON.parse(body);
  } catch (e) {
    throw new Refusal('invalid_output', `override answer is not JSON (${e.message})`);
  }
}
