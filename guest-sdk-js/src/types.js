// Typed, lenient views of the parts of a checkout event: the structs of
// the Rust SDK (`guest-sdk/src/types.rs`), as plain objects with Bold's
// field names (snake_case, as on the wire).
//
// Every decoder here accepts `[]`/`null` where an object is expected,
// skips empty list entries (`line_items: [[]]` is no line items), takes
// integers (money in cents) from numbers or numeric strings, text from
// numbers too, defaults every missing field (text `""`, numbers 0, ids and
// flags `null`, objects and lists empty), and keeps the fields it does not
// name in `extra`, as sent.

import { id as idOrNull, int, map, object, optFlag as flagOrNull, seq, shape, text } from './lenient.js';

const ADDRESS_SHAPE = shape({
    first_name: text,
    last_name: text,
    company: text,
    address: text,
    address2: text,
    city: text,
    province: text,
    province_code: text,
    country: text,
    country_code: text,
    postal_code: text,
    phone: text,
  });
const address = (value, path) => object(value, path, ADDRESS_SHAPE);

const COREINFO_SHAPE = shape({
    customer_id: idOrNull,
    public_id: idOrNull,
    first_name: text,
    last_name: text,
    email: text,
    tags: text,
    billing_type: text,
    accepts_marketing: flagOrNull,
  });
const coreInfo = (value, path) => object(value, path, COREINFO_SHAPE);

const LINEITEM_SHAPE = shape({
    id: idOrNull,
    platform_id: idOrNull,
    platform_variant_id: idOrNull,
    platform_product_id: idOrNull,
    line_item_key: text,
    sku: text,
    title: text,
    variant_title: text,
    quantity: int,
    price: int,
    weight: int,
    requires_shipping: flagOrNull,
    taxable: flagOrNull,
    properties: map,
  });
const lineItem = (value, path) => object(value, path, LINEITEM_SHAPE);

const CART_SHAPE = shape({
    bold_cart_id: idOrNull,
    cart_token: text,
    public_token: text,
    item_count: int,
    total_weight: int,
    subtotal: int,
    requires_shipping: flagOrNull,
    attributes: map,
    line_items: (v, p) => seq(v, p, lineItem),
  });
const cart = (value, path) => object(value, path, CART_SHAPE);

const CUSTOMER_SHAPE = shape({
    core_info: coreInfo,
    shipping: address,
    billing: address,
    addresses: (v, p) => seq(v, p, address),
  });
const customer = (value, path) => object(value, path, CUSTOMER_SHAPE);

const ORDERCUSTOMER_SHAPE = shape({
    id: idOrNull,
    public_customer_id: idOrNull,
    platform_customer_id: idOrNull,
    core_info: coreInfo,
    shipping_address: address,
    billing_address: address,
  });
const orderCustomer = (value, path) => object(value, path, ORDERCUSTOMER_SHAPE);

const FEE_SHAPE = shape({ id: idOrNull, value: int, line_text: text, tag: text, taxable: flagOrNull }, { line_text: ['lineText', 'line_text'] });
const fee = (value, path) => object(value, path, FEE_SHAPE);

const SHIPPINGLINE_SHAPE = shape({ id: idOrNull, name: text, line_text: text, value: int, price: int, source: text, tag: text }, { line_text: ['lineText', 'line_text'] });
const shippingLine = (value, path) => object(value, path, SHIPPINGLINE_SHAPE);

const ORDER_SHAPE = shape({
    public_order_id: text,
    order_source: text,
    order_source_name: text,
    customer: orderCustomer,
    currency: text,
    exchange_rate: text,
    order_total: int,
    fees: (v, p) => seq(v, p, fee),
    shipping: (v, p) => seq(v, p, shippingLine),
    note: text,
    resumable_url: text,
  });
const order = (value, path) => object(value, path, ORDER_SHAPE);

/**
 * The decoders, each `(value, path) => decoded`, throwing
 * `HandlerError('invalid-input', '<path>: …')` for a value of the wrong shape.
 */
export const decode = {
  address,
  coreInfo,
  lineItem,
  cart,
  customer,
  orderCustomer,
  fee,
  shippingLine,
  order,
};

const EMPTY_ADDRESS = address(null, 'address');

/** True when no field of the address is set (Bold sent `[]`, `{}`, `null` or nothing). */
export function isEmptyAddress(a) {
  if (a == null) return true;
  for (const [key, empty] of Object.entries(EMPTY_ADDRESS)) {
    if (key === 'extra') {
      if (a.extra && Object.keys(a.extra).length > 0) return false;
    } else if (a[key] !== undefined && a[key] !== empty) {
      return false;
    }
  }
  return true;
}

/** A line item's or cart's property/attribute as text, if it is set to a string. */
export function stringEntry(entries, key) {
  const value = entries == null ? undefined : entries[key];
  return typeof value === 'string' ? value : undefined;
}
