// The component side: a Host over the WIT imports of `checkout:plugin@0.1.1`.
//
// Only the entry that `bin/build-component.mjs` generates imports this
// module (it imports WIT modules, which exist only inside the component);
// handlers and their tests never do.

import { log as witLog } from 'checkout:plugin/log@0.1.1';
import { get as witConfigGet, all as witConfigAll } from 'checkout:plugin/config@0.1.1';
import { send as witHttpSend } from 'checkout:plugin/outbound-http@0.1.1';
import { current as witShopCurrent } from 'checkout:plugin/shop@0.1.1';
import { send as witBoldSend } from 'checkout:plugin/bold-api@0.1.1';

import { BoldApiError, HttpError } from './errors.js';
import { exportPlugin } from './export.js';
import { Host, Shop } from './host.js';
import { BoldApiRequest, HttpRequest, HttpResponse } from './http.js';

/** The WIT error value of a failed import call (componentize-js throws it with a `payload`). */
function witErrorOf(e) {
  return e !== null && typeof e === 'object' && Object.hasOwn(e, 'payload') ? e.payload : undefined;
}

/** The Host of a call inside the component: every method is a WIT import. */
export class WasmHost extends Host {
  config(key) {
    const value = witConfigGet(String(key));
    return value === null ? undefined : value;
  }

  configAll() {
    return witConfigAll();
  }

  writeLog(level, message, fields) {
    witLog(level, message, fields);
  }

  http(request) {
    let response;
    try {
      response = witHttpSend(HttpRequest.from(request).toWit());
    } catch (e) {
      const wit = witErrorOf(e);
      throw wit !== undefined ? HttpError.fromWit(wit) : e;
    }
    return HttpResponse.fromWit(response);
  }

  shop() {
    const info = witShopCurrent();
    return info === undefined || info === null ? undefined : new Shop(info);
  }

  boldApi(request) {
    let response;
    try {
      response = witBoldSend(BoldApiRequest.from(request).toWit());
    } catch (e) {
      const wit = witErrorOf(e);
      throw wit !== undefined ? BoldApiError.fromWit(wit) : e;
    }
    return HttpResponse.fromWit(response);
  }
}

const HOST = new WasmHost();

/** The component's exports for `plugin`, with the WIT imports as its Host. */
export function exportComponent(plugin) {
  return exportPlugin(plugin, () => HOST);
}
