// From a plugin (plain JS functions over SDK types) to the three exports
// of the WIT world `checkout-plugin`, in the shape componentize-js expects.
//
// componentize-js's export glue (0.23) calls `handleEvent({name, body})`,
// `handleOverride(kind, body)` and `handleWebhook(topic, body)`, awaits the
// result, and takes a returned `{tag: 'ok', val}` / `{tag: 'err', val}` as
// the WIT `result` as it is. A thrown exception is used as the `err` value
// only when it carries a `payload` (else a thrown `Error` traps the
// guest). So these exports never throw: every outcome is returned as an
// explicit result, and anything a handler throws becomes a `handler-error`.

import { Action } from './action.js';
import { toWitError } from './errors.js';
import { Event } from './event.js';

/**
 * A checkout plugin: `handleEvent` (required), `handleOverride` and
 * `handleWebhook` (optional; missing ones answer `unsupported`).
 *
 * - `handleEvent(event: Event, host: Host) → Action[]`
 * - `handleOverride(kind: string, body: string, host: Host) → string` (JSON
 *   text returned to Checkout as is; any other value is JSON-encoded)
 * - `handleWebhook(topic: string, body: string, host: Host) → void`
 *
 * Throw a `HandlerError` to answer `unsupported`, `invalid-input` or
 * `failed`; any other exception becomes `failed` with its message.
 *
 * @template {object} P
 * @param {P} plugin
 * @returns {P}
 */
export function definePlugin(plugin) {
  if (plugin === null || typeof plugin !== 'object') {
    throw new TypeError('definePlugin: a plugin is an object with a handleEvent function');
  }
  if (typeof plugin.handleEvent !== 'function') {
    throw new TypeError('definePlugin: the plugin has no handleEvent function');
  }
  for (const name of ['handleOverride', 'handleWebhook']) {
    if (plugin[name] !== undefined && typeof plugin[name] !== 'function') {
      throw new TypeError(`definePlugin: ${name} must be a function`);
    }
  }
  return plugin;
}

const UNSUPPORTED = Object.freeze({ tag: 'err', val: Object.freeze({ tag: 'unsupported' }) });

function err(thrown) {
  return { tag: 'err', val: toWitError(thrown) };
}

/** The WIT `list<action>` of a handler's answer; throws a TypeError naming what is wrong. */
export function actionsToWit(actions) {
  if (!Array.isArray(actions)) {
    throw new TypeError(`handleEvent must return a list of actions, not ${actions === null ? 'null' : typeof actions}`);
  }
  return actions.map((action, i) => {
    if (!Action.is(action)) {
      throw new TypeError(`actions[${i}] is not an Action (build it with Action.addNote(...), Action.generic(...), ...)`);
    }
    return action.toWit();
  });
}

function overrideToWit(answer) {
  if (typeof answer === 'string') return answer;
  const json = JSON.stringify(answer);
  if (json === undefined) throw new TypeError('handleOverride must return JSON text (or a value JSON can encode)');
  return json;
}

/** Runs `call`, mapping its value with `ok` and anything thrown (or rejected) to a WIT error. */
function settle(call, ok) {
  let out;
  try {
    out = call();
  } catch (e) {
    return err(e);
  }
  if (out !== null && typeof out === 'object' && typeof out.then === 'function') {
    return Promise.resolve(out).then(
      (value) => {
        try {
          return { tag: 'ok', val: ok(value) };
        } catch (e) {
          return err(e);
        }
      },
      (e) => err(e),
    );
  }
  try {
    return { tag: 'ok', val: ok(out) };
  } catch (e) {
    return err(e);
  }
}

/**
 * The three exports of the world `checkout-plugin` for `plugin`, each
 * returning the WIT result (`{tag: 'ok', val}` or `{tag: 'err', val:
 * handler-error}`) and never throwing. `makeHost()` gives the Host of one
 * call (the component's, or a TestHost).
 *
 * @param {object} plugin see `definePlugin`
 * @param {() => import('./host.js').Host} makeHost
 */
export function exportPlugin(plugin, makeHost) {
  definePlugin(plugin);
  if (typeof makeHost !== 'function') {
    throw new TypeError('exportPlugin: makeHost must be a function returning the Host of a call');
  }
  return {
    /** @param {{name: string, body: string}} event */
    handleEvent(event) {
      return settle(() => plugin.handleEvent(new Event(event.name, event.body), makeHost()), actionsToWit);
    },
    handleOverride(kind, body) {
      if (typeof plugin.handleOverride !== 'function') return UNSUPPORTED;
      return settle(() => plugin.handleOverride(kind, body, makeHost()), overrideToWit);
    },
    handleWebhook(topic, body) {
      if (typeof plugin.handleWebhook !== 'function') return UNSUPPORTED;
      return settle(() => plugin.handleWebhook(topic, body, makeHost()), () => undefined);
    },
  };
}
