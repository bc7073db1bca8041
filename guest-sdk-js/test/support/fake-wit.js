// Stand-ins for the WIT imports of `checkout:plugin@0.1.1`, as componentize-js
// presents them to JavaScript, for testing src/component.js under node:
// an `option` is the value or `undefined`, a `result` error is thrown as an
// error with a `payload` (componentize-js's ComponentError).
export const calls = [];
export const state = { config: {}, shop: undefined, http: undefined, bold: undefined };

export class ComponentError extends Error {
  constructor(value) {
    super(typeof value === 'string' ? value : `${String(value)} (see error.payload)`);
    Object.defineProperty(this, 'payload', { value, enumerable: typeof value !== 'string' });
  }
}

export function log(level, message, fields) {
  calls.push(['log', level, message, fields]);
}
export function get(key) {
  calls.push(['config.get', key]);
  return Object.hasOwn(state.config, key) ? state.config[key] : undefined;
}
export function all() {
  return Object.entries(state.config);
}
export function current() {
  return state.shop;
}
export function send(request) {
  const which = 'url' in request ? 'http' : 'bold';
  calls.push([which, request]);
  const answer = state[which](request);
  if (answer.tag === 'err') throw new ComponentError(answer.val);
  return answer.val;
}
