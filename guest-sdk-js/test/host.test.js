import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Action, BoldApiError, BoldApiRequest, HandlerError, HttpError, HttpRequest, HttpResponse, Shop, checkPath, encodePathSegment } from '@checkout-plugin/sdk';
import { TestHost, UnscriptedRequest, fixture, runEvent, runOverride, runWebhook, assertActions } from '@checkout-plugin/sdk/testing';

test('config: scripted values, configOr reads the type of its fallback', () => {
  const host = new TestHost().withConfig('stock', ' 5 ').withConfig('price', 'cheap').withConfig('flag', 'true');
  assert.equal(host.config('stock'), ' 5 ');
  assert.equal(host.config('nothing'), undefined);
  assert.equal(host.configOr('stock', 100), 5);
  assert.equal(host.configOr('missing', 100), 100);
  assert.equal(host.configOr('flag', false), true);
  assert.equal(host.configOr('price', 'x'), 'cheap');
  assert.throws(() => host.configOr('price', 0), (e) => HandlerError.is(e) && e.kind === 'failed' && e.message === 'config `price`: invalid value "cheap": not an integer');
  assert.throws(() => new TestHost().withConfig('n', '5.5').configOr('n', 0), { kind: 'failed' });
  assert.deepEqual(host.configAll(), [['stock', ' 5 '], ['price', 'cheap'], ['flag', 'true']]);
});

test('log: records kept, levels checked', () => {
  const host = new TestHost();
  host.info('hello', { type: 'created', n: 1 });
  host.warn('careful');
  host.log('error', 'bad', [['k', 'v']]);
  assert.deepEqual(host.logs, [
    { level: 'info', message: 'hello', fields: [['type', 'created'], ['n', '1']] },
    { level: 'warn', message: 'careful', fields: [] },
    { level: 'error', message: 'bad', fields: [['k', 'v']] },
  ]);
  assert.ok(host.logged('hel'));
  assert.throws(() => host.log('fatal', 'x'), TypeError);
});

test('outbound HTTP: scripted answers, errors, a double, recorded requests', () => {
  const host = new TestHost()
    .withHttpResponse('get', 'https://rates.example/quote', HttpResponse.json(200, { rate: 990 }))
    .withHttpError('POST', 'https://rates.example/book', new HttpError('timeout'))
    .withHttp((req) => (req.url.endsWith('/404') ? new HttpResponse(404) : new HttpResponse(200, { body: 'pong' })));
  assert.deepEqual(host.getJson('https://rates.example/quote'), { rate: 990 });
  assert.throws(() => host.sendJson('POST', 'https://rates.example/book', {}, { a: 1 }), (e) => HttpError.is(e) && e.kind === 'timeout');
  assert.equal(host.get('https://api.example/ping').text(), 'pong');
  assert.throws(() => host.getJson('https://api.example/404'), { kind: 'failed', message: 'GET https://api.example/404: HTTP 404' });
  assert.throws(() => host.getJson('https://api.example/x'), (e) => e.kind === 'failed' && e.message.startsWith('GET https://api.example/x: response body: '));
  assert.equal(host.requests.length, 5);
  assert.equal(host.requests[0].header('accept'), 'application/json');
  assert.equal(host.requests[1].method, 'POST');
  assert.deepEqual(host.requests[1].json(), { a: 1 });
  assert.equal(host.requests[1].header('content-type'), 'application/json');
  assert.equal(host.http({ method: 'get', url: 'https://api.example/ping' }).status, 200);
});

test('an unscripted request fails loudly, even when the handler swallows it', () => {
  const host = new TestHost().withHttpResponse('GET', 'https://a.example/', new HttpResponse(200));
  assert.throws(() => host.get('https://b.example/'), (e) => e instanceof UnscriptedRequest && /unscripted HTTP request `GET https:\/\/b.example\/`/.test(e.message));
  const swallowing = {
    handleEvent(event, h) {
      try {
        h.get('https://c.example/');
      } catch {
        // ignored
      }
      return [];
    },
  };
  assert.throws(() => runEvent(swallowing, fixture('app_hook'), new TestHost()), UnscriptedRequest);
});

test("Bold's API: the host's gate, scripted answers, recorded requests", () => {
  assert.throws(() => new TestHost().boldGet('orders'), (e) => BoldApiError.is(e) && e.kind === 'no-shop');
  const elsewhere = new TestHost().withShop(Shop.notInstalled('shopify', 'other.myshopify.com'));
  assert.throws(() => elsewhere.boldGetJson('orders/abc123'), { kind: 'failed', message: "Bold API GET orders/abc123: not installed on the call's shop" });
  const host = new TestHost()
    .withShop(Shop.installed('shopify', 'example.myshopify.com', ['modify_order']))
    .withBoldResponse('GET', 'orders/abc123', HttpResponse.json(200, { order: { total: 2468 } }))
    .withBoldError('POST', 'orders/slow/discounts', new BoldApiError('timeout'));
  assert.equal(host.boldGetJson('orders/abc123').order.total, 2468);
  assert.throws(() => host.boldSendJson('post', 'orders/slow/discounts', { code: 'X' }), { kind: 'timeout' });
  assert.throws(() => host.boldApi(new BoldApiRequest('GET', 'orders').withHeader('Authorization', 'mine')), {
    kind: 'invalid-request',
    message: 'invalid request: header `authorization` is set by the host and cannot be given',
  });
  assert.throws(() => host.boldGet('/orders'), { kind: 'invalid-request' });
  assert.throws(() => host.boldGet('customers'), UnscriptedRequest);
  assert.equal(host.boldRequests.length, 5);
  assert.equal(host.shop().hasScope('modify_order'), true);
  assert.equal(new TestHost().shop(), undefined);
});

test('checkPath and encodePathSegment as the Rust SDK', () => {
  assert.equal(checkPath('orders/abc123/shipping_lines'), undefined);
  assert.equal(checkPath('customers?page=2&per_page=50'), undefined);
  for (const bad of ['', '/orders', '../admin', 'orders//x', 'a b', 'a%2Fb', 'a#frag', 'a%zz']) {
    assert.notEqual(checkPath(bad), undefined, bad);
  }
  assert.equal(encodePathSegment('ada+loyal@example.com'), 'ada%2Bloyal%40example.com');
  assert.equal(encodePathSegment('a/b?c#d e%'), 'a%2Fb%3Fc%23d%20e%25');
  assert.equal(encodePathSegment('zoë'), 'zo%C3%AB');
  assert.equal(encodePathSegment('abc-123_x.y~'), 'abc-123_x.y~');
});

test('requests and responses', () => {
  const r = new HttpRequest('post', 'https://x.example/', { headers: { 'X-A': '1' } }).withJson({ a: 1 });
  assert.equal(r.method, 'POST');
  assert.equal(r.header('x-a'), '1');
  assert.deepEqual(r.toWit().headers, [['X-A', '1'], ['content-type', 'application/json']]);
  assert.ok(r.toWit().body instanceof Uint8Array);
  const res = HttpResponse.fromWit({ status: 201, headers: [['content-type', 'application/json']], body: new TextEncoder().encode('{"id":"a1"}') });
  assert.ok(res.ok);
  assert.equal(res.json().id, 'a1');
  assert.throws(() => new HttpResponse(200, { body: 'x' }).json(), { kind: 'failed' });
  assert.deepEqual(new HttpError('connection', 'refused').toWit(), { tag: 'connection', val: 'refused' });
  assert.deepEqual(HttpError.fromWit({ tag: 'not-allowed', val: 'x' }).message, 'not allowed: x');
});

test('runners check answers as the host does', () => {
  const plugin = {
    handleEvent: () => [Action.addFee('fee-1', 'Handling', 'fixed', false, 100)],
    handleOverride: (kind, body) => (kind === 'bad' ? 'not json' : body),
    handleWebhook: () => {
      throw new Error('webhook broke');
    },
  };
  assertActions(runEvent(plugin, fixture('initialize_checkout')), [
    { type: 'add_fee', data: { id: 'fee-1', line_text: 'Handling', fee_type: 'fixed', taxable: false, value: 100, is_amendment: false } },
  ]);
  assert.throws(
    () => runEvent(plugin, fixture('initialize_checkout'), new TestHost().withScopes(['modify_order'])),
    (e) => e instanceof assert.AssertionError && e.message.startsWith('the host would refuse this answer as invalid_output: action `add_fee` needs scope `add_fee`, which the plugin was not granted\n  actions[0] = {"type":"add_fee"'),
  );
  // an installed shop's scopes replace the manifest's
  runEvent(plugin, fixture('initialize_checkout'), new TestHost().withScopes(['modify_order']).withShop(Shop.installed('shopify', 's', ['add_fee'])));
  assert.equal(runOverride(plugin, 'inventory', '{"a":1}'), '{"a":1}');
  assert.throws(() => runOverride(plugin, 'bad', ''), /the host would refuse this answer as invalid_output: override answer is not JSON/);
  assert.throws(() => runWebhook(plugin, 'orders', '{}'), (e) => HandlerError.is(e) && e.kind === 'failed' && e.message === 'webhook broke' && e.cause instanceof Error);
  assert.throws(() => runOverride({ handleEvent: () => [] }, 'x', '{}'), { kind: 'unsupported' });
  assert.throws(() => assertActions([Action.addNote('a')], []), /actions differ/);
});
