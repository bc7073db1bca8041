declare module 'checkout:plugin/types@0.1.1' {
  /**
   * A string-to-string map, in the order the pairs were given.
   */
  export type StringMap = Array<[string, string]>;
  /**
   * One checkout event, as Bold Checkout sent it.
   */
  export interface Event {
    /**
     * The event name from the body's `event` field, e.g.
     * `initialize_checkout`, `order_submitted`, `app_hook`. Names the
     * host does not know are delivered like known ones.
     */
    name: string,
    /**
     * The verified request body, byte for byte as received (UTF-8 JSON
     * object). The host does not re-encode it; guests decode it
     * leniently (Bold's JSON is PHP-flavoured: `[]` for empty objects,
     * ids as numbers or strings, `null`s).
     */
    body: string,
  }
  /**
   * `add_line_item_by_platform_variant`: add a product variant to the cart.
   * Scope: `add_cart_item`.
   */
  export interface AddLineItemByPlatformVariant {
    /**
     * The platform's variant id.
     */
    platformVariantId: bigint,
    /**
     * A key the plugin chooses to recognise its line item later.
     */
    lineItemKey: string,
    /**
     * How many to add.
     */
    quantity: bigint,
    /**
     * Line item properties shown with the item.
     */
    properties: StringMap,
    /**
     * Unit price in minor units.
     */
    price: bigint,
    /**
     * Whether this changes an order that was already placed.
     */
    isAmendment: boolean,
  }
  /**
   * `add_fee`: add a fee line to the order. Scope: `add_fee`.
   */
  export interface AddFee {
    /**
     * The plugin's id for the fee, e.g. `fee-1`.
     */
    id: string,
    /**
     * The text shown to the buyer.
     */
    lineText: string,
    /**
     * How `value` applies, e.g. `fixed`.
     */
    feeType: string,
    /**
     * Whether tax applies to the fee.
     */
    taxable: boolean,
    /**
     * Amount in minor units.
     */
    value: bigint,
    /**
     * Whether this changes an order that was already placed.
     */
    isAmendment: boolean,
  }
  /**
   * `change_shipping_address` / `change_billing_address`: replace an
   * address of the order. Scope: `modify_shipping_address` (shipping) or
   * `modify_billing_address` (billing).
   */
  export interface AddressChange {
    /**
     * Given name.
     */
    firstName: string,
    /**
     * Family name.
     */
    lastName: string,
    /**
     * Company, may be empty.
     */
    company: string,
    /**
     * First address line.
     */
    address: string,
    /**
     * Second address line, may be empty.
     */
    address2: string,
    /**
     * Phone number, may be empty.
     */
    phone: string,
    /**
     * City.
     */
    city: string,
    /**
     * Province or state name.
     */
    province: string,
    /**
     * Province or state code, e.g. `MB`.
     */
    provinceCode: string,
    /**
     * Country name.
     */
    country: string,
    /**
     * ISO 3166-1 alpha-2 country code, e.g. `CA`.
     */
    countryCode: string,
    /**
     * Postal or ZIP code.
     */
    postalCode: string,
    /**
     * Also apply the address to billing.
     */
    updateBilling: boolean,
    /**
     * Billing differs from shipping.
     */
    differentBillingAddress: boolean,
  }
  /**
   * `flag_order_as_bopis`: buy online, pick up in store.
   */
  export interface FlagOrderAsBopis {
    /**
     * Whether the order is a pick-up order.
     */
    flagOrderAsBopis: boolean,
    /**
     * Hide the shipping address section of the checkout.
     */
    hideShippingAddress: boolean,
    /**
     * Hide the saved addresses section of the checkout.
     */
    hideSavedAddresses: boolean,
  }
  /**
   * Any action, given by its Bold type name and its `data` object as JSON
   * text. For actions whose fields are not public, and for actions Bold
   * adds after this contract was written.
   */
  export interface GenericAction {
    /**
     * The Bold action type, e.g. `add_note_attribute`. Sent in
     * lowercase.
     */
    type: string,
    /**
     * The action's `data`: a JSON object, as text.
     */
    dataJson: string,
  }
  /**
   * One action a plugin asks Checkout to perform on the order.
   */
  export type Action = ActionAddLineItemByPlatformVariant | ActionAddFee | ActionAddNote | ActionChangeShippingAddress | ActionChangeBillingAddress | ActionFlagOrderAsBopis | ActionOverrideAddressValidate | ActionOverrideDiscount | ActionOverrideInventory | ActionOverrideShipping | ActionOverrideTax | ActionGeneric;
  /**
   * `add_line_item_by_platform_variant`.
   */
  export interface ActionAddLineItemByPlatformVariant {
    tag: 'add-line-item-by-platform-variant',
    val: AddLineItemByPlatformVariant,
  }
  /**
   * `add_fee`.
   */
  export interface ActionAddFee {
    tag: 'add-fee',
    val: AddFee,
  }
  /**
   * `add_note`: set the order note (the string). Scope: `modify_order`.
   */
  export interface ActionAddNote {
    tag: 'add-note',
    val: string,
  }
  /**
   * `change_shipping_address`.
   */
  export interface ActionChangeShippingAddress {
    tag: 'change-shipping-address',
    val: AddressChange,
  }
  /**
   * `change_billing_address`.
   */
  export interface ActionChangeBillingAddress {
    tag: 'change-billing-address',
    val: AddressChange,
  }
  /**
   * `flag_order_as_bopis`.
   */
  export interface ActionFlagOrderAsBopis {
    tag: 'flag-order-as-bopis',
    val: FlagOrderAsBopis,
  }
  /**
   * `override_address_validate`: Checkout calls this URL to validate
   * addresses.
   */
  export interface ActionOverrideAddressValidate {
    tag: 'override-address-validate',
    val: string,
  }
  /**
   * `override_discount`: Checkout calls this URL for discounts.
   */
  export interface ActionOverrideDiscount {
    tag: 'override-discount',
    val: string,
  }
  /**
   * `override_inventory`: Checkout calls this URL for stock levels.
   * Scope: `provide_shipping_rates`.
   */
  export interface ActionOverrideInventory {
    tag: 'override-inventory',
    val: string,
  }
  /**
   * `override_shipping`: Checkout calls this URL for shipping rates.
   */
  export interface ActionOverrideShipping {
    tag: 'override-shipping',
    val: string,
  }
  /**
   * `override_tax`: Checkout calls this URL for taxes.
   */
  export interface ActionOverrideTax {
    tag: 'override-tax',
    val: string,
  }
  /**
   * Any other action, by type name and JSON data.
   */
  export interface ActionGeneric {
    tag: 'generic',
    val: GenericAction,
  }
  /**
   * Why a handler produced no answer.
   */
  export type HandlerError = HandlerErrorUnsupported | HandlerErrorInvalidInput | HandlerErrorFailed;
  /**
   * The plugin does not handle this kind of call (an override kind,
   * webhook topic or event it has no code for). HTTP callers get 404.
   */
  export interface HandlerErrorUnsupported {
    tag: 'unsupported',
  }
  /**
   * The request could not be understood (the payload is missing a
   * field the handler needs, or it has the wrong shape).
   */
  export interface HandlerErrorInvalidInput {
    tag: 'invalid-input',
    val: string,
  }
  /**
   * The handler failed for a reason of its own.
   */
  export interface HandlerErrorFailed {
    tag: 'failed',
    val: string,
  }
}
