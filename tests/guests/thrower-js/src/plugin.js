// A handler that fails the way JavaScript code fails, by event name:
// - `type_error`: reads a property of undefined (a TypeError);
// - `throw_string`: throws a string, not an Error;
// - `async_rejection`: an async handler whose promise rejects;
// - `handler_error`: throws the SDK's HandlerError.invalidInput;
// - anything else: no actions.
// The end-to-end tests check that each is the handler error it is, never
// a trap.

import { HandlerError, definePlugin } from '@checkout-plugin/sdk';

export default definePlugin({
  handleEvent(event) {
    switch (event.name) {
      case 'type_error': {
        const missing = undefined;
        return missing.actions;
      }
      case 'throw_string':
        throw 'plain string thrown';
      case 'async_rejection':
        return Promise.reject(new RangeError('rejected later'));
      case 'handler_error':
        throw HandlerError.invalidInput('cart: empty');
      default:
        return [];
    }
  },
});
