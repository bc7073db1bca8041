/// <reference path="./checkout-plugin-outbound-http.d.ts" />
/// <reference path="./checkout-plugin-types.d.ts" />
declare module 'checkout:plugin/bold-api@0.1.1' {
  /**
   * Sends one request for the call's shop and waits for the complete
   * response; any status is a response. The guest is suspended
   * meanwhile (no fuel burns, no host thread waits).
   */
  export function send(request: Request): Response;
  export type StringMap = import('checkout:plugin/types@0.1.1').StringMap;
  export type Response = import('checkout:plugin/outbound-http@0.1.1').Response;
  /**
   * A request to Bold's API for the call's shop.
   */
  export interface Request {
    /**
     * `GET`, `POST`, `PUT`, `PATCH` or `DELETE`.
     */
    method: string,
    /**
     * The path below `/api/v1/{platform}/{shop}/`, without a leading
     * `/`, optionally with a query: e.g. `orders/abc123/shipping_lines`
     * or `customers?page=2`. Segments are made of letters, digits and
     * `-._~%!$&'()*+,;=:@`; `.` and `..` segments are refused.
     */
    path: string,
    /**
     * Request headers. The token's header, `host`, `content-length`
     * and the like are set by the host and cannot be given.
     */
    headers: StringMap,
    /**
     * The request body (may be empty), usually JSON.
     */
    body: Uint8Array,
  }
  /**
   * Why a request got no response.
   */
  export type Error = ErrorNoShop | ErrorNotInstalled | ErrorInvalidRequest | ErrorTimeout | ErrorResponseTooLarge | ErrorTooManyRequests | ErrorConnection;
  /**
   * The call named no shop.
   */
  export interface ErrorNoShop {
    tag: 'no-shop',
  }
  /**
   * The plugin is not installed on the call's shop (no token).
   */
  export interface ErrorNotInstalled {
    tag: 'not-installed',
  }
  /**
   * The request is malformed (method, path, header, too large).
   */
  export interface ErrorInvalidRequest {
    tag: 'invalid-request',
    val: string,
  }
  /**
   * No complete response within the per-request deadline.
   */
  export interface ErrorTimeout {
    tag: 'timeout',
  }
  /**
   * The response body is larger than the per-request cap.
   */
  export interface ErrorResponseTooLarge {
    tag: 'response-too-large',
  }
  /**
   * This invocation already made as many requests as it may.
   */
  export interface ErrorTooManyRequests {
    tag: 'too-many-requests',
  }
  /**
   * The connection failed (refused, reset, DNS, TLS).
   */
  export interface ErrorConnection {
    tag: 'connection',
    val: string,
  }
}
