// @checkout-plugin/sdk: write Bold Checkout plugins in JavaScript.
//
// A plugin is an object of plain functions over these types (see
// `definePlugin`); `bin/build-component.mjs` makes it a WebAssembly
// component of the world `checkout:plugin/checkout-plugin@0.1.1`, and
// `@checkout-plugin/sdk/testing` runs it under `node --test`.

export { Action, actionsToResponse } from './action.js';
export {
  BoldApiError,
  BOLD_API_ERROR_KINDS,
  HANDLER_ERROR_KINDS,
  HandlerError,
  HttpError,
  HTTP_ERROR_KINDS,
  messageOf,
  toWitError,
} from './errors.js';
export { Event } from './event.js';
export { actionsToWit, definePlugin, exportPlugin } from './export.js';
export { Host, LEVELS, Shop } from './host.js';
export {
  BOLD_METHODS,
  BoldApiRequest,
  checkPath,
  encodePathSegment,
  HttpRequest,
  HttpResponse,
  MAX_PATH_BYTES,
  RESERVED_HEADERS,
} from './http.js';
export * as lenient from './lenient.js';
export { idInt, idText, sameId } from './lenient.js';
export { decode, isEmptyAddress, stringEntry } from './types.js';
export { sortedJson } from './json.js';
