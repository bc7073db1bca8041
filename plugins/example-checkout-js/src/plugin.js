// Bold's example checkout plugin, in JavaScript: the behaviour of the Rust
// `plugins/example-checkout`, answer for answer.
//
// Behaviour
// - `initialize_checkout` → `override_inventory` with url
//   `<public_url>/overrides/inventory`, then `add_note` with
//   "Plugin initialized order <order.public_order_id>". Only
//   `order.public_order_id` is read (`event.pointer`).
// - `order_submitted` whose `customer.shipping.country_code` is `US`
//   (case-insensitive) → `add_fee` {id `fee-1`, line_text `Cross-border
//   shipping`, fee_type `fixed`, taxable, value 1500}; otherwise nothing.
// - Any other event → no actions.
// - Override `inventory`: the body `{type, items: [{…, quantity}]}` comes
//   back with each item given `available_quantity` = config `stock` (object
//   keys sorted, as the Rust plugin's serde_json writes them). Other
//   override kinds → unsupported.
// - Webhook `orders` (Bold's order stream: `data.type` is `processed`,
//   `created`, `fulfilled` or `failed`): logs the type at info (an unknown
//   type at warn) and answers OK. Other topics → unsupported.
//
// Config
// - `public_url`: where the host serves this plugin; default
//   `http://localhost:8080/plugins/example-checkout` (the host hands it in).
// - `stock`: the `available_quantity` the inventory override reports;
//   default 100. A value that is not an integer fails the call.

import { Action, HandlerError, definePlugin, idText, lenient, sortedJson } from '@checkout-plugin/sdk';

/** `public_url` when the host does not hand one in (as under `invoke`). */
export const DEFAULT_PUBLIC_URL = 'http://localhost:8080/plugins/example-checkout';
/** `stock` when it is not configured. */
export const DEFAULT_STOCK = 100;
/** The order stream's known `data.type` values. */
export const ORDER_WEBHOOK_TYPES = ['processed', 'created', 'fulfilled', 'failed'];

function initializeCheckout(event, host) {
  const publicUrl = (host.config('public_url') ?? DEFAULT_PUBLIC_URL).trim().replace(/\/+$/, '');
  const orderId = idText(event.pointer('/order/public_order_id', lenient.id));
  return [
    Action.overrideInventory(`${publicUrl}/overrides/inventory`),
    Action.addNote(`Plugin initialized order ${orderId}`),
  ];
}

function orderSubmitted(event) {
  const { shipping } = event.customer();
  if (shipping.country_code.trim().toUpperCase() === 'US') {
    return [Action.addFee('fee-1', 'Cross-border shipping', 'fixed', true, 1500)];
  }
  return [];
}

function parseBody(body) {
  try {
    return JSON.parse(body);
  } catch (e) {
    throw HandlerError.invalidInput(`body: ${e.message}`);
  }
}

function inventory(body, host) {
  const stock = host.configOr('stock', DEFAULT_STOCK);
  const request = parseBody(body);
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    throw HandlerError.invalidInput('body: not an object');
  }
  const { items } = request;
  if (items === undefined) throw HandlerError.invalidInput('items: missing');
  if (!Array.isArray(items)) throw HandlerError.invalidInput('items: not a list');
  items.forEach((item, i) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      throw HandlerError.invalidInput(`items[${i}]: not an object`);
    }
    item.available_quantity = stock;
  });
  // Keys sorted, as the Rust plugin's serde_json writes them: the same bytes.
  return sortedJson(request);
}

function orderWebhook(body, host) {
  const kind = parseBody(body)?.data?.type;
  if (typeof kind !== 'string') throw HandlerError.invalidInput('data.type: missing');
  if (ORDER_WEBHOOK_TYPES.includes(kind)) {
    host.info('order webhook', { type: kind });
  } else {
    host.warn('order webhook of unknown type', { type: kind });
  }
}

export default definePlugin({
  handleEvent(event, host) {
    switch (event.name) {
      case 'initialize_checkout':
        return initializeCheckout(event, host);
      case 'order_submitted':
        return orderSubmitted(event);
      default:
        return [];
    }
  },

  handleOverride(kind, body, host) {
    if (kind === 'inventory') return inventory(body, host);
    throw HandlerError.unsupported();
  },

  handleWebhook(topic, body, host) {
    if (topic === 'orders') return orderWebhook(body, host);
    throw HandlerError.unsupported();
  },
});
