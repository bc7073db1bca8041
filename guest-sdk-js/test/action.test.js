import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { Action, actionsToResponse, actionsToWit } from '@checkout-plugin/sdk';
import { DEFAULT_OUTPUT_LIMIT, checkActions } from '@checkout-plugin/sdk/testing';
import { CATALOGUE } from '../src/protocol.js';

const ADDRESS = {
  first_name: 'Ada',
  last_name: 'Lovelace',
  company: '',
  address: '1 Main St',
  address2: '',
  phone: '',
  city: 'Winnipeg',
  province: 'Manitoba',
  province_code: 'MB',
  country: 'Canada',
  country_code: 'CA',
  postal_code: 'R3C 0A1',
  update_billing: false,
  different_billing_address: false,
};

test("every constructor gives Bold's wire form and the WIT case", () => {
  const cases = [
    [
      Action.addLineItemByPlatformVariant(9153875214378, 'gift-wrap:1', 1, 500, { properties: { note: 'hi' } }),
      { type: 'add_line_item_by_platform_variant', data: { platform_variant_id: 9153875214378, line_item_key: 'gift-wrap:1', quantity: 1, properties: { note: 'hi' }, price: 500, is_amendment: false } },
      { tag: 'add-line-item-by-platform-variant', val: { platformVariantId: 9153875214378, lineItemKey: 'gift-wrap:1', quantity: 1, properties: [['note', 'hi']], price: 500, isAmendment: false } },
    ],
    [
      Action.addFee('fee-1', 'Cross-border shipping', 'fixed', true, 1500),
      { type: 'add_fee', data: { id: 'fee-1', line_text: 'Cross-border shipping', fee_type: 'fixed', taxable: true, value: 1500, is_amendment: false } },
      { tag: 'add-fee', val: { id: 'fee-1', lineText: 'Cross-border shipping', feeType: 'fixed', taxable: true, value: 1500, isAmendment: false } },
    ],
    [Action.addNote('Thanks!'), { type: 'add_note', data: { note: 'Thanks!' } }, { tag: 'add-note', val: 'Thanks!' }],
    [
      Action.changeShippingAddress({ ...ADDRESS, extra: { ignored: 1 } }),
      { type: 'change_shipping_address', data: ADDRESS },
      { tag: 'change-shipping-address', val: { firstName: 'Ada', lastName: 'Lovelace', company: '', address: '1 Main St', address2: '', phone: '', city: 'Winnipeg', province: 'Manitoba', provinceCode: 'MB', country: 'Canada', countryCode: 'CA', postalCode: 'R3C 0A1', updateBilling: false, differentBillingAddress: false } },
    ],
    [
      Action.flagOrderAsBopis(true, true, false),
      { type: 'flag_order_as_bopis', data: { flag_order_as_bopis: true, hidden_sections: { shipping_address: true, saved_addresses: false } } },
      { tag: 'flag-order-as-bopis', val: { flagOrderAsBopis: true, hideShippingAddress: true, hideSavedAddresses: false } },
    ],
    [Action.overrideInventory('https://x/inv'), { type: 'override_inventory', data: { url: 'https://x/inv' } }, { tag: 'override-inventory', val: 'https://x/inv' }],
    [Action.overrideTax('https://x/tax'), { type: 'override_tax', data: { url: 'https://x/tax' } }, { tag: 'override-tax', val: 'https://x/tax' }],
    [Action.overrideShipping('https://x/s'), { type: 'override_shipping', data: { url: 'https://x/s' } }, { tag: 'override-shipping', val: 'https://x/s' }],
    [Action.overrideDiscount('https://x/d'), { type: 'override_discount', data: { url: 'https://x/d' } }, { tag: 'override-discount', val: 'https://x/d' }],
    [Action.overrideAddressValidate('https://x/a'), { type: 'override_address_validate', data: { url: 'https://x/a' } }, { tag: 'override-address-validate', val: 'https://x/a' }],
    [
      Action.generic('ADD_CART_PARAMS', { cart_params: { k: 'v' } }),
      { type: 'add_cart_params', data: { cart_params: { k: 'v' } } },
      { tag: 'generic', val: { type: 'add_cart_params', dataJson: '{"cart_params":{"k":"v"}}' } },
    ],
  ];
  for (const [action, wire, wit] of cases) {
    assert.deepEqual(action.toJSON(), wire);
    assert.deepEqual(action.toWit(), wit);
    assert.ok(Action.is(action));
  }
  const all = cases.map(([a]) => a);
  assert.deepEqual(actionsToWit(all), cases.map(([, , wit]) => wit));
  assert.deepEqual(actionsToResponse([all[2]]), { success: true, actions: [{ type: 'add_note', data: { note: 'Thanks!' } }] });
  // A billing address change is the same data under its own type.
  assert.equal(Action.changeBillingAddress({}).toWit().tag, 'change-billing-address');
  assert.deepEqual(Action.changeBillingAddress({ city: 'X' }).data.city, 'X');
});

test('constructors refuse what would be malformed (the handler fails instead)', () => {
  assert.throws(() => Action.addFee('fee-1', 'x', 'fixed', true, 15.5), TypeError);
  assert.throws(() => Action.addFee('fee-1', 'x', 'fixed', true, '1500'), TypeError);
  assert.throws(() => Action.addFee('fee-1', 'x', 'fixed', 'yes', 1500), TypeError);
  assert.throws(() => Action.addNote(undefined), TypeError);
  assert.throws(() => Action.addLineItemByPlatformVariant(1, 'k', 1, 1, { properties: { a: 1 } }), TypeError);
  assert.throws(() => Action.generic('x', []), TypeError);
  assert.throws(() => Action.generic('x', { n: 1n }), TypeError);
  assert.throws(() => actionsToWit([{ type: 'add_note', data: { note: 'x' } }]), /actions\[0\] is not an Action/);
  assert.throws(() => actionsToWit('nope'), /list of actions/);
  // bigints are s64s
  assert.equal(Action.addFee('f', 'x', 'fixed', true, 2n ** 62n).toWit().val.value, 2n ** 62n);
});

test('the catalogue is the Rust SDK\'s (type and scope of every action)', () => {
  const md = readFileSync(new URL('../../guest-sdk/src/action/catalogue.md', import.meta.url), 'utf8');
  const rows = [...md.matchAll(/^\| `([a-z_]+)` \| `([a-z_]+)` \|/gm)].map((m) => [m[1], m[2]]);
  assert.ok(rows.length >= 20);
  assert.deepEqual(CATALOGUE.map(([type, scope]) => [type, scope]), rows);
});

test("checkActions: the host's reasons, word for word", () => {
  const policy = { scopes: null, extraActionTypes: new Set(), outputLimit: DEFAULT_OUTPUT_LIMIT };
  assert.equal(checkActions([Action.addNote('hi')], policy), '{"success":true,"actions":[{"type":"add_note","data":{"note":"hi"}}]}');
  const fee = Action.generic('add_fee', { id: 'fee-1', line_text: 'Handling', fee_type: 'fixed', value: '1500', is_amendment: false });
  assert.throws(() => checkActions([Action.addNote('a'), fee], policy), { kind: 'invalid_output', reason: 'action `add_fee`: `taxable` is missing', action: 1 });
  const fee2 = Action.generic('add_fee', { id: 'fee-1', line_text: 'Handling', fee_type: 'fixed', taxable: true, value: '1500', is_amendment: false });
  assert.throws(() => checkActions([fee2], policy), { reason: 'action `add_fee`: `value` must be an integer' });
  assert.throws(() => checkActions([Action.generic('brand_new_action', {})], policy), {
    reason: "action `brand_new_action` is not a known Bold action (allow it in the manifest's `extra_action_types`)",
  });
  checkActions([Action.generic('brand_new_action', {})], { ...policy, extraActionTypes: new Set(['brand_new_action']) });
  assert.throws(() => checkActions([Action.generic('Bad-Name', {})], policy), { reason: 'action type "bad-name" is not a valid name' });
  assert.throws(() => checkActions([Action.overrideTax('ftp://x')], policy), { reason: 'action `override_tax`: `url` must be an http(s) URL' });
  const scoped = { ...policy, scopes: new Set(['modify_order']) };
  assert.throws(() => checkActions([Action.addFee('fee-1', 'Handling', 'fixed', false, 100)], scoped), {
    reason: 'action `add_fee` needs scope `add_fee`, which the plugin was not granted',
  });
  assert.throws(() => checkActions([Action.addNote('x'.repeat(100))], { ...policy, outputLimit: 64 }), { kind: 'output_limit' });
});

test('sortedJson writes keys as serde_json does', async () => {
  const { sortedJson } = await import('@checkout-plugin/sdk');
  assert.equal(sortedJson({ type: 'x', items: [{ sku: 'A', quantity: 2, available_quantity: 5 }], a: null, u: undefined }), '{"a":null,"items":[{"available_quantity":5,"quantity":2,"sku":"A"}],"type":"x"}');
  assert.equal(sortedJson([1, 'a', true]), '[1,"a",true]');
});
