import assert from 'node:assert/strict';
import { test } from 'node:test';

import { HandlerError, decode, idInt, idText, isEmptyAddress, lenient, sameId } from '@checkout-plugin/sdk';

const invalid = (pathPrefix) => (e) => HandlerError.is(e) && e.kind === 'invalid-input' && e.message.startsWith(pathPrefix);

test('integers: numbers, numeric strings, null and "" (money in cents)', () => {
  assert.equal(lenient.int(1500), 1500);
  assert.equal(lenient.int('1500'), 1500);
  assert.equal(lenient.int(' -15 '), -15);
  assert.equal(lenient.int('15.0'), 15);
  assert.equal(lenient.int(15.0), 15);
  assert.equal(lenient.int(null), 0);
  assert.equal(lenient.int(undefined), 0);
  assert.equal(lenient.int(''), 0);
  assert.equal(lenient.optInt(''), null);
  for (const bad of [15.5, '15.5', 'x', true, {}, [], 2 ** 60, '99999999999999999999']) {
    assert.throws(() => lenient.int(bad, 'cart.subtotal'), invalid('cart.subtotal: '), String(bad));
  }
});

test('text: strings, numbers, booleans; null is ""', () => {
  assert.equal(lenient.text('a'), 'a');
  assert.equal(lenient.text(42), '42');
  assert.equal(lenient.text(true), 'true');
  assert.equal(lenient.text(null), '');
  assert.equal(lenient.optText(null), null);
  assert.throws(() => lenient.text({}, 'x'), invalid('x: '));
  assert.throws(() => lenient.text([], 'x'), invalid('x: '));
});

test('flags: booleans, 0/1, words; "" and null are not known', () => {
  for (const t of [true, 1, 2, '1', 'true', 'YES', ' on ']) assert.equal(lenient.optFlag(t), true, String(t));
  for (const f of [false, 0, '0', 'false', 'No', 'off']) assert.equal(lenient.optFlag(f), false, String(f));
  assert.equal(lenient.optFlag(null), null);
  assert.equal(lenient.optFlag(''), null);
  assert.throws(() => lenient.optFlag('maybe', 'f'), invalid('f: '));
  assert.throws(() => lenient.optFlag([], 'f'), invalid('f: '));
});

test('ids: numbers or strings, kept as they came', () => {
  assert.equal(lenient.id(9153875214378), 9153875214378);
  assert.equal(lenient.id('9153875214378'), '9153875214378');
  assert.equal(lenient.id(null), null);
  assert.equal(lenient.id(1.5), '1.5');
  assert.throws(() => lenient.id(true, 'id'), invalid('id: '));
  assert.throws(() => lenient.id({}, 'id'), invalid('id: '));
  assert.equal(idText(42), '42');
  assert.equal(idText(null), '');
  assert.equal(idInt('9153875214378'), 9153875214378);
  assert.equal(idInt('abc'), null);
  assert.ok(sameId(9, '9'));
  assert.ok(!sameId(9, '09'));
  assert.ok(!sameId(null, null));
});

test('maps: objects, [] and null empty, PHP lists keyed by index', () => {
  assert.deepEqual(lenient.map({ a: 1 }), { a: 1 });
  assert.deepEqual(lenient.map([]), {});
  assert.deepEqual(lenient.map(null), {});
  assert.deepEqual(lenient.map(['x', 'y']), { 0: 'x', 1: 'y' });
  assert.throws(() => lenient.map('x', 'attributes'), invalid('attributes: '));
});

test('lists: empty entries skipped, [[]] is no entries, PHP objects are lists', () => {
  assert.deepEqual(lenient.seq([[]]), []);
  assert.deepEqual(lenient.seq([null, {}, [], 1]), [1]);
  assert.deepEqual(lenient.seq(null), []);
  assert.deepEqual(lenient.seq({ a: 1, b: 2 }), [1, 2]);
  assert.throws(() => lenient.seq('x', 'fees'), invalid('fees: '));
  assert.deepEqual(decode.cart({ line_items: [[]] }, 'cart').line_items, []);
});

test('objects: [] and null are empty, unknown fields kept, wrong shapes name the path', () => {
  const empty = decode.address([], 'shipping');
  assert.equal(empty.country_code, '');
  assert.deepEqual(empty.extra, {});
  assert.ok(isEmptyAddress(empty));
  assert.ok(isEmptyAddress(decode.address(null, 'shipping')));
  const a = decode.address({ country_code: 'US', plus4: '1234', city: null }, 'shipping');
  assert.equal(a.country_code, 'US');
  assert.equal(a.city, '');
  assert.deepEqual(a.extra, { plus4: '1234' });
  assert.ok(!isEmptyAddress(a));
  assert.throws(() => decode.address(['x'], 'customer.shipping'), invalid('customer.shipping: '));
  assert.throws(() => decode.customer(7, 'customer'), invalid('customer: '));
  assert.throws(
    () => decode.cart({ line_items: [{ quantity: 'two' }] }, 'cart'),
    invalid('cart.line_items[0].quantity: '),
  );
});

test('fees and shipping lines read lineText or line_text', () => {
  const order = decode.order(
    { fees: [{ lineText: 'A', value: '100' }, [], { line_text: 'B', value: 5 }], shipping: [{ lineText: 'Ground', price: '995' }] },
    'order',
  );
  assert.deepEqual(order.fees.map((f) => [f.line_text, f.value]), [['A', 100], ['B', 5]]);
  assert.deepEqual(order.fees[0].extra, {});
  assert.equal(order.shipping[0].line_text, 'Ground');
  assert.equal(order.shipping[0].price, 995);
});
