import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Event, HandlerError, decode, lenient } from '@checkout-plugin/sdk';
import { fixture, fixtureNames, fixtureWith } from '@checkout-plugin/sdk/testing';

const invalid = (prefix) => (e) => HandlerError.is(e) && e.kind === 'invalid-input' && e.message.startsWith(prefix);

test('an event is a name and a JSON object body', () => {
  const e = new Event('order_submitted', '{"event":"x","a":1}');
  assert.equal(e.name, 'order_submitted');
  assert.equal(e.body, '{"event":"x","a":1}');
  assert.deepEqual(e.keys(), ['event', 'a']);
  assert.equal(e.field('a'), 1);
  assert.equal(e.field('nothing'), undefined);
  for (const bad of ['', '[]', '1', 'null', '{']) {
    assert.throws(() => new Event('x', bad), invalid('body: '), bad);
  }
  assert.equal(Event.parse('{"event":"app_hook"}').name, 'app_hook');
  assert.throws(() => Event.parse('{}'), invalid('event: missing'));
  assert.throws(() => Event.parse('{"event":1}'), invalid('event: '));
});

test("Bold's fixtures decode", () => {
  assert.deepEqual(fixtureNames(), ['initialize_checkout', 'order_submitted_us', 'app_hook']);
  for (const name of fixtureNames()) {
    const e = fixture(name);
    e.cart();
    e.customer();
    e.order();
    e.cartParams();
    e.properties();
  }
  const us = fixture('order_submitted_us');
  assert.equal(us.name, 'order_submitted');
  assert.equal(us.customer().shipping.country_code, 'US');
  assert.equal(us.cart().subtotal, 2468);
  assert.equal(us.cart().line_items.length, 2);
  assert.equal(us.cart().line_items[0].properties.gift_wrap ?? us.cart().line_items[1].properties.gift_wrap, 'yes');
  assert.equal(fixture('app_hook').hook(), 'apply_loyalty_discount');
  assert.equal(fixture('initialize_checkout').order().public_order_id, 'lakjfoihiuh223u82989vhsinvd0s9f8');
});

test("PHP-flavoured JSON: [] for {}, [[]] for no line items, ids and money as strings, nulls", () => {
  const e = Event.parse(
    JSON.stringify({
      event: 'order_submitted',
      cart: { line_items: [[]], subtotal: '1999', attributes: [], bold_cart_id: '42' },
      customer: [],
      order: { customer: [], fees: null, order_total: null },
      order_id: '145',
      cart_params: [],
      idempotent_key: null,
    }),
  );
  assert.deepEqual(e.cart().line_items, []);
  assert.equal(e.cart().subtotal, 1999);
  assert.deepEqual(e.cart().attributes, {});
  assert.equal(e.cart().bold_cart_id, '42');
  assert.equal(e.customer().shipping.country_code, '');
  assert.equal(e.order().customer.id, null);
  assert.deepEqual(e.order().fees, []);
  assert.equal(e.order().order_total, 0);
  assert.equal(e.orderId(), '145');
  assert.deepEqual(e.cartParams(), {});
  assert.equal(e.idempotentKey(), null);
  assert.equal(e.languageIso(), null);
  assert.deepEqual(e.shippingLines(), []);
});

test('accessors: missing is empty, a wrong shape is invalid-input naming the key, decoded once', () => {
  const e = Event.parse('{"event":"x","cart":"oops"}');
  assert.throws(() => e.cart(), invalid('cart: '));
  assert.equal(e.customer().shipping.country_code, '');
  const cart = fixture('order_submitted_us');
  assert.equal(cart.cart(), cart.cart());
  const edited = fixtureWith('order_submitted_us', (b) => {
    b.customer.shipping = 7;
  });
  assert.throws(() => edited.customer(), invalid('customer.shipping: '));
});

test('unknown fields are kept in extra', () => {
  const e = Event.parse('{"event":"x","cart":{"subtotal":1,"brand_new":{"a":1}}}');
  assert.deepEqual(e.cart().extra, { brand_new: { a: 1 } });
});

test('pointer: RFC 6901', () => {
  const e = Event.parse(
    JSON.stringify({
      event: 'x',
      order: { public_order_id: 'abc', customer: [], n: null },
      cart: { line_items: [{ sku: 'A' }, { sku: 'B' }] },
      'a/b': { 'c~d': 1 },
      list: { '01': 'key' },
    }),
  );
  assert.equal(e.pointer('/order/public_order_id'), 'abc');
  assert.equal(e.pointer('/cart/line_items/1/sku'), 'B');
  assert.equal(e.pointer('/cart/line_items/01/sku'), undefined, '/01 is not an index');
  assert.equal(e.pointer('/cart/line_items/-'), undefined);
  assert.equal(e.pointer('/cart/line_items/2'), undefined);
  assert.equal(e.pointer('/list/01'), 'key', 'an object key may be 01');
  assert.equal(e.pointer('/a~1b/c~0d'), 1);
  assert.equal(e.pointer('/order/customer/id'), undefined, '[] is not an object');
  assert.equal(e.pointer('/order/n'), undefined, 'null is missing');
  assert.equal(e.pointer('/order/public_order_id/x'), undefined);
  assert.equal(e.pointer('/nothing/at/all'), undefined);
  assert.equal(e.pointer('').event, 'x');
  assert.throws(() => e.pointer('order'), invalid("order: a JSON pointer starts with '/'"));
});

test('pointer with a decoder', () => {
  const e = Event.parse('{"event":"x","order":{"public_order_id":42,"total":"1500","bad":{}}}');
  assert.equal(e.pointer('/order/public_order_id', lenient.id), 42);
  assert.equal(e.pointer('/order/total', lenient.int), 1500);
  assert.equal(e.pointer('/order/missing', lenient.int), undefined);
  assert.throws(() => e.pointer('/order/bad', lenient.id), invalid('/order/bad: '));
  assert.equal(e.pointer('/order', decode.order).public_order_id, '42');
});
