// src/component.js (the Host over the WIT imports, and the exports) under
// node, with the WIT imports replaced by stand-ins (support/fake-wit.js).
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { test } from 'node:test';

register(new URL('./support/wit-loader.mjs', import.meta.url));

const { exportComponent, WasmHost } = await import('../src/component.js');
const wit = await import('./support/fake-wit.js');
const { Action, BoldApiError, HttpError, HttpRequest, definePlugin } = await import('@checkout-plugin/sdk');

test('config, log and shop go through the imports', () => {
  wit.state.config = { stock: '5' };
  wit.state.shop = { platform: 'shopify', shop: 'example.myshopify.com', installed: true, scopes: ['add_fee'] };
  const host = new WasmHost();
  assert.equal(host.config('stock'), '5');
  assert.equal(host.config('nothing'), undefined);
  assert.equal(host.configOr('stock', 100), 5);
  assert.deepEqual(host.configAll(), [['stock', '5']]);
  host.info('hello', { type: 'created' });
  assert.deepEqual(wit.calls.at(-1), ['log', 'info', 'hello', [['type', 'created']]]);
  assert.ok(host.shop().hasScope('add_fee'));
  wit.state.shop = undefined;
  assert.equal(host.shop(), undefined);
});

test('outbound HTTP: a response, or the WIT error as an HttpError', () => {
  const host = new WasmHost();
  wit.state.http = (r) =>
    r.url.endsWith('/ok')
      ? { tag: 'ok', val: { status: 200, headers: [['content-type', 'application/json']], body: new TextEncoder().encode('{"a":1}') } }
      : { tag: 'err', val: { tag: 'not-allowed', val: 'x.example is not granted' } };
  assert.deepEqual(host.getJson('https://x.example/ok'), { a: 1 });
  const [, sent] = wit.calls.at(-1);
  assert.equal(sent.method, 'GET');
  assert.deepEqual(sent.headers, [['accept', 'application/json']]);
  assert.ok(sent.body instanceof Uint8Array);
  assert.throws(() => host.http(new HttpRequest('GET', 'https://x.example/no')), (e) => HttpError.is(e) && e.kind === 'not-allowed' && e.detail === 'x.example is not granted');
  wit.state.bold = () => ({ tag: 'err', val: { tag: 'no-shop' } });
  assert.throws(() => host.boldGet('orders'), (e) => BoldApiError.is(e) && e.kind === 'no-shop');
  const [, bold] = wit.calls.at(-1);
  assert.deepEqual(Object.keys(bold), ['method', 'path', 'headers', 'body']);
});

test('the exports answer WIT results, an uncaught HttpError included', () => {
  wit.state.http = () => ({ tag: 'err', val: { tag: 'timeout' } });
  const exported = exportComponent(
    definePlugin({
      handleEvent(event, host) {
        if (event.name === 'call_out') host.get('https://slow.example/');
        return [Action.addNote(event.name)];
      },
    }),
  );
  assert.deepEqual(exported.handleEvent({ name: 'x', body: '{}' }), { tag: 'ok', val: [{ tag: 'add-note', val: 'x' }] });
  assert.deepEqual(exported.handleEvent({ name: 'call_out', body: '{}' }), { tag: 'err', val: { tag: 'failed', val: 'outbound HTTP: timeout' } });
  assert.deepEqual(exported.handleOverride('inventory', '{}'), { tag: 'err', val: { tag: 'unsupported' } });
});
