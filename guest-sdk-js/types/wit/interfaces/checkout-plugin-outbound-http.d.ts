/// <reference path="./checkout-plugin-types.d.ts" />
declare module 'checkout:plugin/outbound-http@0.1.1' {
  /**
   * Sends one request and waits for the complete response. The guest is
   * suspended meanwhile; no host thread waits.
   */
  export function send(request: Request): Response;
  export type StringMap = import('checkout:plugin/types@0.1.1').StringMap;
  /**
   * An HTTP request.
   */
  export interface Request {
    /**
     * `GET`, `POST`, `PUT`, `PATCH`, `DELETE` or `HEAD`.
     */
    method: string,
    /**
     * An absolute `http` or `https` URL on a granted host.
     */
    url: string,
    /**
     * Request headers (`host`, `content-length`, `connection` and
     * `transfer-encoding` are set by the host).
     */
    headers: StringMap,
    /**
     * The request body (may be empty).
     */
    body: Uint8Array,
  }
  /**
   * An HTTP response. Any status is a response, not an error.
   */
  export interface Response {
    /**
     * The status code.
     */
    status: number,
    /**
     * Response headers, names in lower case.
     */
    headers: StringMap,
    /**
     * The response body, complete.
     */
    body: Uint8Array,
  }
  /**
   * Why a request got no response.
   */
  export type Error = ErrorNotAllowed | ErrorInvalidRequest | ErrorTimeout | ErrorResponseTooLarge | ErrorTooManyRequests | ErrorConnection;
  /**
   * The URL's host is not granted to this plugin.
   */
  export interface ErrorNotAllowed {
    tag: 'not-allowed',
    val: string,
  }
  /**
   * The request is malformed (method, URL, header, too large).
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
