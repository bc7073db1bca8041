/// <reference path="./interfaces/checkout-plugin-bold-api.d.ts" />
/// <reference path="./interfaces/checkout-plugin-config.d.ts" />
/// <reference path="./interfaces/checkout-plugin-log.d.ts" />
/// <reference path="./interfaces/checkout-plugin-outbound-http.d.ts" />
/// <reference path="./interfaces/checkout-plugin-shop.d.ts" />
/// <reference path="./interfaces/checkout-plugin-types.d.ts" />
declare module 'checkout:plugin/checkout-plugin@0.1.1' {
  export type Event = import('checkout:plugin/types@0.1.1').Event;
  export type Action = import('checkout:plugin/types@0.1.1').Action;
  export type HandlerError = import('checkout:plugin/types@0.1.1').HandlerError;
  export type * as CheckoutPluginBoldApi011 from 'checkout:plugin/bold-api@0.1.1'; // import checkout:plugin/bold-api@0.1.1
  export type * as CheckoutPluginConfig011 from 'checkout:plugin/config@0.1.1'; // import checkout:plugin/config@0.1.1
  export type * as CheckoutPluginLog011 from 'checkout:plugin/log@0.1.1'; // import checkout:plugin/log@0.1.1
  export type * as CheckoutPluginOutboundHttp011 from 'checkout:plugin/outbound-http@0.1.1'; // import checkout:plugin/outbound-http@0.1.1
  export type * as CheckoutPluginShop011 from 'checkout:plugin/shop@0.1.1'; // import checkout:plugin/shop@0.1.1
  export type * as CheckoutPluginTypes011 from 'checkout:plugin/types@0.1.1'; // import checkout:plugin/types@0.1.1
  /**
  * Handles one checkout event and returns the actions to apply, in order
  * (possibly none).
  */
  export function handleEvent(event: Event): Array<Action>;
  /**
  * Answers an override call that Checkout makes on a URL registered with
  * an `override_*` action. `kind` is the last path segment (e.g.
  * `inventory`); `body` is the request's JSON body; the answer is JSON
  * text returned to Checkout as is. Return `unsupported` for kinds the
  * plugin does not provide.
  */
  export function handleOverride(kind: string, body: string): string;
  /**
  * Handles a plugin webhook (e.g. the order stream). `topic` is the last
  * path segment; `body` is the request's JSON body. Return `unsupported`
  * for topics the plugin does not handle.
  */
  export function handleWebhook(topic: string, body: string): void;
  export type Result<T, E> = { tag: 'ok', val: T } | { tag: 'err', val: E };
}
