// The Rust example's tests (plugins/example-checkout/src/lib.rs), in JS.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HandlerError, exportPlugin } from '@checkout-plugin/sdk';
import { TestHost, assertActions, fixture, fixtureNames, fixtureWith, runEvent, runOverride, runWebhook } from '@checkout-plugin/sdk/testing';

import plugin, { ORDER_WEBHOOK_TYPES } from '../src/plugin.js';

const ORDER_ID = 'lakjfoihiuh223u82989vhsinvd0s9f8';
/** The scopes `examples/example-checkout-js/plugin.toml` declares. */
const MANIFEST_SCOPES = ['provide_shipping_rates', 'modify_order', 'add_fee'];

const run = (event) => runEvent(plugin, event, new TestHost().withScopes(MANIFEST_SCOPES));
const isKind = (kind, prefix = '') => (e) => HandlerError.is(e) && e.kind === kind && e.message.startsWith(prefix);

test('initialize_checkout registers the inventory override and a note', () => {
  assertActions(run(fixture('initialize_checkout')), [
    { type: 'override_inventory', data: { url: 'http://localhost:8080/plugins/example-checkout/overrides/inventory' } },
    { type: 'add_note', data: { note: `Plugin initialized order ${ORDER_ID}` } },
  ]);
});

test('initialize_checkout uses the public_url config', () => {
  for (const url of ['https://plugins.example.com/p/x', 'https://plugins.example.com/p/x/']) {
    const actions = runEvent(plugin, fixture('initialize_checkout'), new TestHost().withConfig('public_url', url));
    assert.deepEqual(actions[0].toJSON(), { type: 'override_inventory', data: { url: 'https://plugins.example.com/p/x/overrides/inventory' } });
  }
});

test('initialize_checkout tolerates a missing or odd order', () => {
  const note = (event) => run(event)[1].toJSON().data.note;
  assert.equal(note(fixtureWith('initialize_checkout', (b) => void delete b.order)), 'Plugin initialized order ');
  assert.equal(note(fixtureWith('initialize_checkout', (b) => void (b.order = []))), 'Plugin initialized order ');
  assert.equal(note(fixtureWith('initialize_checkout', (b) => void (b.order.public_order_id = 42))), 'Plugin initialized order 42');
});

test('initialize_checkout does not decode the cart', () => {
  assert.equal(run(fixtureWith('initialize_checkout', (b) => void (b.cart = 'not a cart'))).length, 2);
});

test('order_submitted with a US shipping address adds the cross-border fee', () => {
  assertActions(run(fixture('order_submitted_us')), [
    { type: 'add_fee', data: { id: 'fee-1', line_text: 'Cross-border shipping', fee_type: 'fixed', taxable: true, value: 1500, is_amendment: false } },
  ]);
  const lower = fixtureWith('order_submitted_us', (b) => void (b.customer.shipping.country_code = ' us '));
  assert.equal(run(lower).length, 1);
});

test('order_submitted elsewhere adds nothing', () => {
  for (const shipping of [{ country_code: 'CA' }, [], null, {}]) {
    assertActions(run(fixtureWith('order_submitted_us', (b) => void (b.customer.shipping = shipping))), []);
  }
  assertActions(run(fixtureWith('order_submitted_us', (b) => void (b.customer = []))), []);
});

test('order_submitted with a bad customer is invalid input', () => {
  const event = fixtureWith('order_submitted_us', (b) => void (b.customer = 7));
  assert.throws(() => runEvent(plugin, event), isKind('invalid-input', 'customer: '));
});

test('other events get no actions', () => {
  assertActions(run(fixture('app_hook')), []);
  assertActions(run(fixtureWith('app_hook', (b) => void (b.event = 'order_changed'))), []);
  for (const name of fixtureNames()) run(fixture(name));
});

test('the inventory override answers available_quantity', () => {
  const body = JSON.stringify({
    type: 'inventory',
    items: [
      { platform_variant_id: 9153875214378, sku: 'MUG-RED', quantity: 2 },
      { platform_variant_id: '9153875214379', quantity: 1 },
    ],
  });
  const answer = runOverride(plugin, 'inventory', body, new TestHost().withConfig('stock', '5'));
  assert.equal(
    answer,
    '{"items":[{"available_quantity":5,"platform_variant_id":9153875214378,"quantity":2,"sku":"MUG-RED"},{"available_quantity":5,"platform_variant_id":"9153875214379","quantity":1}],"type":"inventory"}',
  );
  assert.deepEqual(JSON.parse(answer), {
    type: 'inventory',
    items: [
      { platform_variant_id: 9153875214378, sku: 'MUG-RED', quantity: 2, available_quantity: 5 },
      { platform_variant_id: '9153875214379', quantity: 1, available_quantity: 5 },
    ],
  });
});

test('the inventory override: defaults and errors', () => {
  const host = new TestHost();
  assert.match(runOverride(plugin, 'inventory', '{"type":"x","items":[{"quantity":1}]}', host), /"available_quantity":100/);
  assert.equal(runOverride(plugin, 'inventory', '{"items":[]}', host), '{"items":[]}');
  for (const bad of ['', '[]', '{"items": {}}', '{"type": "x"}', '{"items": [1]}', 'null']) {
    assert.throws(() => runOverride(plugin, 'inventory', bad, host), isKind('invalid-input'), bad);
  }
  assert.throws(
    () => runOverride(plugin, 'inventory', '{"items":[]}', new TestHost().withConfig('stock', 'many')),
    (e) => HandlerError.is(e) && e.kind === 'failed' && e.message.includes('stock'),
  );
});

test('other overrides are unsupported', () => {
  assert.throws(() => runOverride(plugin, 'shipping', '{}'), isKind('unsupported'));
});

test('the orders webhook logs the type', () => {
  for (const kind of ORDER_WEBHOOK_TYPES) {
    const host = new TestHost();
    runWebhook(plugin, 'orders', JSON.stringify({ data: { type: kind, id: 1 } }), host);
    assert.deepEqual(host.logs, [{ level: 'info', message: 'order webhook', fields: [['type', kind]] }]);
  }
  const host = new TestHost();
  runWebhook(plugin, 'orders', '{"data":{"type":"refunded"}}', host);
  assert.equal(host.logs[0].level, 'warn');
});

test('webhook errors', () => {
  assert.throws(() => runWebhook(plugin, 'products', '{}'), isKind('unsupported'));
  for (const bad of ['', '{}', '{"data": {"type": 1}}', 'null']) {
    assert.throws(() => runWebhook(plugin, 'orders', bad), isKind('invalid-input'), bad);
  }
});

test('an exception in a handler becomes failed, not a trap', () => {
  const host = new TestHost();
  host.config = () => {
    throw new TypeError('config store is gone');
  };
  const exported = exportPlugin(plugin, () => host);
  const event = fixture('initialize_checkout');
  assert.deepEqual(exported.handleEvent({ name: event.name, body: event.body }), {
    tag: 'err',
    val: { tag: 'failed', val: 'TypeError: config store is gone' },
  });
  assert.throws(() => runEvent(plugin, event, host), isKind('failed', 'TypeError: config store is gone'));
  // and the same plugin answers normally through the exports
  const ok = exportPlugin(plugin, () => new TestHost()).handleOverride('inventory', '{"items":[{"quantity":1}]}');
  assert.deepEqual(ok, { tag: 'ok', val: '{"items":[{"available_quantity":100,"quantity":1}]}' });
});
