declare module 'checkout:plugin/shop@0.1.1' {
  /**
   * The shop of this call, or `none` when Bold's call named none.
   */
  export function current(): ShopInfo | undefined;
  /**
   * One shop.
   */
  export interface ShopInfo {
    /**
     * The platform, e.g. `shopify`.
     */
    platform: string,
    /**
     * The platform's store id, e.g. `example.myshopify.com`.
     */
    shop: string,
    /**
     * Whether the plugin is installed on this shop.
     */
    installed: boolean,
    /**
     * The scopes Bold granted at the install (empty when not installed).
     */
    scopes: Array<string>,
  }
}
