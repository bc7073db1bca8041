// The actions a handler asks Checkout to perform: the WIT `action` variant
// and the Rust SDK's `Action::*` constructors.

const ACTION = Symbol.for('@checkout-plugin/sdk.Action');

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function str(value, what) {
  if (typeof value !== 'string') {
    throw new TypeError(`${what} must be a string, not ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

function bool(value, what) {
  if (typeof value !== 'boolean') {
    throw new TypeError(`${what} must be a boolean, not ${value === null ? 'null' : typeof value}`);
  }
  return value;
}

/** An s64: a safe integer number, or a bigint in range. */
function s64(value, what) {
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) throw new RangeError(`${what} is out of the s64 range`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${what} must be an integer (minor units for money), not ${JSON.stringify(value) ?? typeof value}`);
  }
  return value;
}

function stringPairs(properties, what) {
  const pairs = Array.isArray(properties) ? properties : Object.entries(properties ?? {});
  return pairs.map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2) throw new TypeError(`${what}[${i}] must be a [key, value] pair`);
    return [str(pair[0], `${what} key`), str(pair[1], `${what} \`${pair[0]}\``)];
  });
}

const ADDRESS_TEXT_FIELDS = [
  'first_name',
  'last_name',
  'company',
  'address',
  'address2',
  'phone',
  'city',
  'province',
  'province_code',
  'country',
  'country_code',
  'postal_code',
];

/** The fields of an address change, in Bold's order, text fields defaulting to `""`. */
function addressChange(address, what) {
  if (address === null || typeof address !== 'object') throw new TypeError(`${what} must be an object`);
  const out = {};
  for (const field of ADDRESS_TEXT_FIELDS) {
    out[field] = str(address[field] ?? '', `${what}.${field}`);
  }
  out.update_billing = bool(address.update_billing ?? false, `${what}.update_billing`);
  out.different_billing_address = bool(address.different_billing_address ?? false, `${what}.different_billing_address`);
  return out;
}

function camel(name) {
  return name.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** JSON for an s64 that may be a bigint. */
function jsonInt(value) {
  return typeof value === 'bigint' ? Number(value) : value;
}

/**
 * One action for Checkout; mirrors the WIT `action` variant. Build one with
 * a static constructor (`Action.addNote`, `Action.addFee`,
 * `Action.overrideInventory`, `Action.generic`, …), which checks its
 * arguments (a wrong type throws a TypeError: the handler fails rather
 * than sending Bold something malformed).
 *
 * `action.type` is Bold's type name, `action.data` Bold's `data` object
 * (snake_case, as on the wire); `toJSON()` gives `{type, data}`.
 */
export class Action {
  /** @type {string} */
  type;
  /** @type {Record<string, unknown>} */
  data;
  /** @type {boolean} */
  generic;

  constructor(type, data, generic) {
    this.type = type;
    this.data = data;
    this.generic = generic;
    Object.freeze(this);
  }

  static is(value) {
    return value != null && value[ACTION] === true;
  }

  /**
   * `add_line_item_by_platform_variant`: add a product variant to the cart.
   * Scope: `add_cart_item`.
   *
   * @param {number | bigint} platformVariantId
   * @param {string} lineItemKey a key the plugin chooses to recognise its line item later
   * @param {number | bigint} quantity
   * @param {number | bigint} price unit price in minor units
   * @param {{properties?: Record<string, string> | [string, string][], isAmendment?: boolean}} [options]
   */
  static addLineItemByPlatformVariant(platformVariantId, lineItemKey, quantity, price, options = {}) {
    const properties = stringPairs(options.properties, 'properties');
    return new Action(
      'add_line_item_by_platform_variant',
      {
        platform_variant_id: s64(platformVariantId, 'platform_variant_id'),
        line_item_key: str(lineItemKey, 'line_item_key'),
        quantity: s64(quantity, 'quantity'),
        properties: Object.fromEntries(properties),
        price: s64(price, 'price'),
        is_amendment: bool(options.isAmendment ?? false, 'is_amendment'),
      },
      false,
    );
  }

  /**
   * `add_fee`: add a fee line to the order. Scope: `add_fee`.
   *
   * @param {string} id the plugin's id for the fee, e.g. `fee-1`
   * @param {string} lineText the text shown to the buyer
   * @param {string} feeType how `value` applies, e.g. `fixed`
   * @param {boolean} taxable
   * @param {number | bigint} value amount in minor units
   * @param {{isAmendment?: boolean}} [options]
   */
  static addFee(id, lineText, feeType, taxable, value, options = {}) {
    return new Action(
      'add_fee',
      {
        id: str(id, 'id'),
        line_text: str(lineText, 'line_text'),
        fee_type: str(feeType, 'fee_type'),
        taxable: bool(taxable, 'taxable'),
        value: s64(value, 'value'),
        is_amendment: bool(options.isAmendment ?? false, 'is_amendment'),
      },
      false,
    );
  }

  /** `add_note`: set the order note. Scope: `modify_order`. */
  static addNote(note) {
    return new Action('add_note', { note: str(note, 'note') }, false);
  }

  /**
   * `change_shipping_address`. Scope: `modify_shipping_address`. `address`
   * has Bold's field names (an address from the event will do); missing
   * text fields are `""`, `update_billing` and `different_billing_address`
   * default to false.
   */
  static changeShippingAddress(address) {
    return new Action('change_shipping_address', addressChange(address, 'address'), false);
  }

  /** `change_billing_address`. Scope: `modify_billing_address`. See `changeShippingAddress`. */
  static changeBillingAddress(address) {
    return new Action('change_billing_address', addressChange(address, 'address'), false);
  }

  /** `flag_order_as_bopis`: buy online, pick up in store. Scope: `modify_order`. */
  static flagOrderAsBopis(flagOrderAsBopis, hideShippingAddress, hideSavedAddresses) {
    return new Action(
      'flag_order_as_bopis',
      {
        flag_order_as_bopis: bool(flagOrderAsBopis, 'flag_order_as_bopis'),
        hidden_sections: {
          shipping_address: bool(hideShippingAddress, 'hide_shipping_address'),
          saved_addresses: bool(hideSavedAddresses, 'hide_saved_addresses'),
        },
      },
      false,
    );
  }

  /** `override_address_validate`: Checkout calls `url` to validate addresses. */
  static overrideAddressValidate(url) {
    return new Action('override_address_validate', { url: str(url, 'url') }, false);
  }

  /** `override_discount`: Checkout calls `url` for discounts. */
  static overrideDiscount(url) {
    return new Action('override_discount', { url: str(url, 'url') }, false);
  }

  /** `override_inventory`: Checkout calls `url` for stock levels. Scope: `provide_shipping_rates`. */
  static overrideInventory(url) {
    return new Action('override_inventory', { url: str(url, 'url') }, false);
  }

  /** `override_shipping`: Checkout calls `url` for shipping rates. */
  static overrideShipping(url) {
    return new Action('override_shipping', { url: str(url, 'url') }, false);
  }

  /** `override_tax`: Checkout calls `url` for taxes. */
  static overrideTax(url) {
    return new Action('override_tax', { url: str(url, 'url') }, false);
  }

  /**
   * Any action by its Bold type name (lowercased here, as the host does)
   * and its `data` object: for the actions whose fields Bold does not
   * publish (`add_note_attribute`, `add_cart_params`, `discount_cart`, …)
   * and for types Bold adds later (allowed in the manifest's
   * `extra_action_types`). The data must be a JSON object; it crosses the
   * WIT boundary as JSON text.
   */
  static generic(type, data) {
    const name = str(type, 'type').toLowerCase();
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new TypeError(`action \`${name}\`: data must be a JSON object`);
    }
    // Fails early (a TypeError) for data JSON cannot encode (a bigint, a cycle).
    const copy = JSON.parse(JSON.stringify(data));
    return new Action(name, copy, true);
  }

  /** Bold's wire form, `{type, data}` (what the host sends Checkout). */
  toJSON() {
    return { type: this.type, data: wireData(this.data) };
  }

  /** The WIT `action` value, as componentize-js lowers it. */
  toWit() {
    const d = this.data;
    if (this.generic) {
      return { tag: 'generic', val: { type: this.type, dataJson: JSON.stringify(d) } };
    }
    switch (this.type) {
      case 'add_line_item_by_platform_variant':
        return {
          tag: 'add-line-item-by-platform-variant',
          val: {
            platformVariantId: d.platform_variant_id,
            lineItemKey: d.line_item_key,
            quantity: d.quantity,
            properties: Object.entries(d.properties),
            price: d.price,
            isAmendment: d.is_amendment,
          },
        };
      case 'add_fee':
        return {
          tag: 'add-fee',
          val: {
            id: d.id,
            lineText: d.line_text,
            feeType: d.fee_type,
            taxable: d.taxable,
            value: d.value,
            isAmendment: d.is_amendment,
          },
        };
      case 'add_note':
        return { tag: 'add-note', val: d.note };
      case 'change_shipping_address':
      case 'change_billing_address':
        return {
          tag: this.type.replaceAll('_', '-'),
          val: Object.fromEntries(Object.entries(d).map(([k, v]) => [camel(k), v])),
        };
      case 'flag_order_as_bopis':
        return {
          tag: 'flag-order-as-bopis',
          val: {
            flagOrderAsBopis: d.flag_order_as_bopis,
            hideShippingAddress: d.hidden_sections.shipping_address,
            hideSavedAddresses: d.hidden_sections.saved_addresses,
          },
        };
      default:
        // the five override_* actions
        return { tag: this.type.replaceAll('_', '-'), val: d.url };
    }
  }
}
Object.defineProperty(Action.prototype, ACTION, { value: true });

function wireData(data) {
  const out = {};
  for (const [k, v] of Object.entries(data)) {
    out[k] = typeof v === 'bigint' ? jsonInt(v) : v;
  }
  return out;
}

/** The Checkout response for these actions: `{success: true, actions: [...]}`. */
export function actionsToResponse(actions) {
  return { success: true, actions: actions.map((a) => a.toJSON()) };
}
