import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Action, BoldApiError, HandlerError, HttpError, definePlugin, exportPlugin, messageOf } from '@checkout-plugin/sdk';
import { TestHost } from '@checkout-plugin/sdk/testing';

const EVENT = { name: 'order_submitted', body: '{"event":"order_submitted"}' };

function exportsThrowing(thrown) {
  return exportPlugin(
    {
      handleEvent() {
        throw thrown;
      },
      handleOverride() {
        throw thrown;
      },
      handleWebhook() {
        throw thrown;
      },
    },
    () => new TestHost(),
  );
}

test('results are explicit WIT results', () => {
  const ex = exportPlugin(
    {
      handleEvent: (event) => [Action.addNote(event.name)],
      handleOverride: (kind, body) => body,
      handleWebhook: () => {},
    },
    () => new TestHost(),
  );
  assert.deepEqual(ex.handleEvent(EVENT), { tag: 'ok', val: [{ tag: 'add-note', val: 'order_submitted' }] });
  assert.deepEqual(ex.handleOverride('inventory', '{"a":1}'), { tag: 'ok', val: '{"a":1}' });
  assert.deepEqual(ex.handleWebhook('orders', '{}'), { tag: 'ok', val: undefined });
});

test('a HandlerError becomes its WIT case', () => {
  const cases = [
    [HandlerError.unsupported(), { tag: 'unsupported' }],
    [HandlerError.invalidInput('cart: bad'), { tag: 'invalid-input', val: 'cart: bad' }],
    [HandlerError.failed('no stock'), { tag: 'failed', val: 'no stock' }],
  ];
  for (const [thrown, wit] of cases) {
    const ex = exportsThrowing(thrown);
    assert.deepEqual(ex.handleEvent(EVENT), { tag: 'err', val: wit });
    assert.deepEqual(ex.handleOverride('k', '{}'), { tag: 'err', val: wit });
    assert.deepEqual(ex.handleWebhook('t', '{}'), { tag: 'err', val: wit });
    // componentize-js takes an own `payload` as the err value
    assert.ok(Object.hasOwn(thrown, 'payload'));
    assert.deepEqual(thrown.payload, wit);
  }
});

test('any other exception becomes failed with its message, never a trap', () => {
  const cases = [
    [new Error('boom'), 'boom'],
    [new TypeError("Cannot read properties of undefined (reading 'x')"), "TypeError: Cannot read properties of undefined (reading 'x')"],
    [new RangeError('too far'), 'RangeError: too far'],
    ['a string', 'a string'],
    [42, 'the handler threw 42'],
    [{ code: 7 }, 'the handler threw {"code":7}'],
    [undefined, 'the handler threw undefined'],
    [null, 'the handler threw null'],
    [new HttpError('timeout'), 'outbound HTTP: timeout'],
    [new BoldApiError('not-installed'), "Bold API: not installed on the call's shop"],
  ];
  for (const [thrown, message] of cases) {
    assert.deepEqual(exportsThrowing(thrown).handleEvent(EVENT), { tag: 'err', val: { tag: 'failed', val: message } }, String(thrown));
    assert.equal(messageOf(thrown) === message || thrown instanceof HttpError || thrown instanceof BoldApiError, true);
  }
  assert.deepEqual(exportsThrowing(new BoldApiError('no-shop')).handleEvent(EVENT), {
    tag: 'err',
    val: { tag: 'invalid-input', val: 'Bold API: the call names no shop' },
  });
});

test('a malformed answer or body is a handler error, not a trap', () => {
  const bad = (handleEvent) => exportPlugin({ handleEvent }, () => new TestHost()).handleEvent(EVENT);
  assert.deepEqual(bad(() => undefined).val.tag, 'failed');
  assert.match(bad(() => [{ type: 'add_note' }]).val.val, /actions\[0\] is not an Action/);
  assert.match(bad(() => [Action.addNote('x'), 'y']).val.val, /actions\[1\]/);
  assert.deepEqual(
    exportPlugin({ handleEvent: () => [] }, () => new TestHost()).handleEvent({ name: 'x', body: '[]' }),
    { tag: 'err', val: { tag: 'invalid-input', val: 'body: not a JSON object' } },
  );
  const override = exportPlugin({ handleEvent: () => [], handleOverride: () => ({ a: 1 }) }, () => new TestHost());
  assert.deepEqual(override.handleOverride('k', ''), { tag: 'ok', val: '{"a":1}' });
  const noJson = exportPlugin({ handleEvent: () => [], handleOverride: () => undefined }, () => new TestHost());
  assert.equal(noJson.handleOverride('k', '').val.tag, 'failed');
});

test('missing handleOverride and handleWebhook answer unsupported', () => {
  const ex = exportPlugin({ handleEvent: () => [] }, () => new TestHost());
  assert.deepEqual(ex.handleOverride('inventory', '{}'), { tag: 'err', val: { tag: 'unsupported' } });
  assert.deepEqual(ex.handleWebhook('orders', '{}'), { tag: 'err', val: { tag: 'unsupported' } });
});

test('async handlers settle to results too', async () => {
  const ex = exportPlugin(
    {
      handleEvent: async () => [Action.addNote('later')],
      handleOverride: async () => {
        throw new Error('rejected');
      },
    },
    () => new TestHost(),
  );
  assert.deepEqual(await ex.handleEvent(EVENT), { tag: 'ok', val: [{ tag: 'add-note', val: 'later' }] });
  assert.deepEqual(await ex.handleOverride('k', '{}'), { tag: 'err', val: { tag: 'failed', val: 'rejected' } });
});

test('definePlugin checks the shape', () => {
  assert.throws(() => definePlugin({}), /handleEvent/);
  assert.throws(() => definePlugin({ handleEvent() {}, handleOverride: 1 }), /handleOverride/);
  assert.throws(() => exportPlugin({ handleEvent() {} }), /makeHost/);
  assert.throws(() => new HandlerError('nope'), TypeError);
  assert.equal(String(HandlerError.invalidInput('m')), 'invalid input: m');
});
