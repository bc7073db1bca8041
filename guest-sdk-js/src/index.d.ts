// Types of @checkout-plugin/sdk (the JavaScript SDK for Bold Checkout
// plugins). The WIT world's own types, as jco generates them, are in
// `types/wit/`.

/** An id Bold sends as a number or a string, kept in the form it arrived in. */
export type Id = number | string;

/** A JSON value as parsed. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A decoder: `(value, path) => decoded`, throwing `HandlerError('invalid-input', '<path>: …')`. */
export type Decoder<T> = (value: unknown, path: string) => T;

// --- errors ----------------------------------------------------------------

export type HandlerErrorKind = 'unsupported' | 'invalid-input' | 'failed';
/** The WIT `handler-error` value. */
export type WitHandlerError = { tag: 'unsupported' } | { tag: 'invalid-input' | 'failed'; val: string };

export const HANDLER_ERROR_KINDS: readonly HandlerErrorKind[];

/** Why a handler produced no answer; mirrors the WIT `handler-error`. */
export class HandlerError extends Error {
  constructor(kind: HandlerErrorKind, message?: string);
  readonly kind: HandlerErrorKind;
  /** The WIT value, for componentize-js's export glue. */
  readonly payload: WitHandlerError;
  static unsupported(): HandlerError;
  static invalidInput(message: string): HandlerError;
  static failed(message: string): HandlerError;
  static is(value: unknown): value is HandlerError;
  toWit(): WitHandlerError;
}

export type HttpErrorKind =
  | 'not-allowed'
  | 'invalid-request'
  | 'timeout'
  | 'response-too-large'
  | 'too-many-requests'
  | 'connection';
export const HTTP_ERROR_KINDS: readonly HttpErrorKind[];

/** Why an outbound HTTP request got no response; mirrors the WIT `outbound-http.error`. */
export class HttpError extends Error {
  constructor(kind: HttpErrorKind, detail?: string);
  readonly kind: HttpErrorKind;
  readonly detail: string;
  static is(value: unknown): value is HttpError;
  static fromWit(wit: { tag: HttpErrorKind; val?: string }): HttpError;
  toWit(): { tag: HttpErrorKind; val?: string };
  /** `failed("outbound HTTP: <error>")`. */
  toHandlerError(): HandlerError;
}

export type BoldApiErrorKind =
  | 'no-shop'
  | 'not-installed'
  | 'invalid-request'
  | 'timeout'
  | 'response-too-large'
  | 'too-many-requests'
  | 'connection';
export const BOLD_API_ERROR_KINDS: readonly BoldApiErrorKind[];

/** Why a Bold API request got no response; mirrors the WIT `bold-api.error`. */
export class BoldApiError extends Error {
  constructor(kind: BoldApiErrorKind, detail?: string);
  readonly kind: BoldApiErrorKind;
  readonly detail: string;
  static is(value: unknown): value is BoldApiError;
  static fromWit(wit: { tag: BoldApiErrorKind; val?: string }): BoldApiError;
  toWit(): { tag: BoldApiErrorKind; val?: string };
  /** `no-shop` → `invalid-input("<context>: …")`, the rest `failed("<context>: …")`. */
  toHandlerError(context?: string): HandlerError;
}

/** The WIT `handler-error` for anything a handler threw. */
export function toWitError(thrown: unknown): WitHandlerError;
/** The message `failed` carries for a thrown value. */
export function messageOf(thrown: unknown): string;

// --- the event -------------------------------------------------------------

export interface Address {
  first_name: string;
  last_name: string;
  company: string;
  address: string;
  address2: string;
  city: string;
  province: string;
  province_code: string;
  country: string;
  country_code: string;
  postal_code: string;
  phone: string;
  /** Every other field, as sent. */
  extra: Record<string, Json>;
}

export interface CoreInfo {
  customer_id: Id | null;
  public_id: Id | null;
  first_name: string;
  last_name: string;
  email: string;
  tags: string;
  billing_type: string;
  accepts_marketing: boolean | null;
  extra: Record<string, Json>;
}

export interface LineItem {
  id: Id | null;
  platform_id: Id | null;
  platform_variant_id: Id | null;
  platform_product_id: Id | null;
  line_item_key: string;
  sku: string;
  title: string;
  variant_title: string;
  quantity: number;
  /** Unit price in minor units. */
  price: number;
  weight: number;
  requires_shipping: boolean | null;
  taxable: boolean | null;
  properties: Record<string, Json>;
  extra: Record<string, Json>;
}

export interface Cart {
  bold_cart_id: Id | null;
  cart_token: string;
  public_token: string;
  item_count: number;
  total_weight: number;
  /** Subtotal in minor units. */
  subtotal: number;
  requires_shipping: boolean | null;
  attributes: Record<string, Json>;
  line_items: LineItem[];
  extra: Record<string, Json>;
}

export interface Customer {
  core_info: CoreInfo;
  shipping: Address;
  billing: Address;
  addresses: Address[];
  extra: Record<string, Json>;
}

export interface OrderCustomer {
  id: Id | null;
  public_customer_id: Id | null;
  platform_customer_id: Id | null;
  core_info: CoreInfo;
  shipping_address: Address;
  billing_address: Address;
  extra: Record<string, Json>;
}

export interface Fee {
  id: Id | null;
  value: number;
  /** `lineText` on the wire (`line_text` also accepted). */
  line_text: string;
  tag: string;
  taxable: boolean | null;
  extra: Record<string, Json>;
}

export interface ShippingLine {
  id: Id | null;
  name: string;
  line_text: string;
  value: number;
  price: number;
  source: string;
  tag: string;
  extra: Record<string, Json>;
}

export interface Order {
  public_order_id: string;
  order_source: string;
  order_source_name: string;
  customer: OrderCustomer;
  currency: string;
  exchange_rate: string;
  order_total: number;
  fees: Fee[];
  shipping: ShippingLine[];
  note: string;
  resumable_url: string;
  extra: Record<string, Json>;
}

/** The lenient decoders of the event's parts. */
export const decode: {
  address: Decoder<Address>;
  coreInfo: Decoder<CoreInfo>;
  lineItem: Decoder<LineItem>;
  cart: Decoder<Cart>;
  customer: Decoder<Customer>;
  orderCustomer: Decoder<OrderCustomer>;
  fee: Decoder<Fee>;
  shippingLine: Decoder<ShippingLine>;
  order: Decoder<Order>;
};

/** True when no field of the address is set. */
export function isEmptyAddress(address: Address | null | undefined): boolean;
/** A property/attribute as text, if it is set to a string. */
export function stringEntry(entries: Record<string, Json> | null | undefined, key: string): string | undefined;

/** The lenient primitive decoders. */
export namespace lenient {
  function optInt(value: unknown, path?: string): number | null;
  function int(value: unknown, path?: string): number;
  function optText(value: unknown, path?: string): string | null;
  function text(value: unknown, path?: string): string;
  function optFlag(value: unknown, path?: string): boolean | null;
  function id(value: unknown, path?: string): Id | null;
  function idText(value: Id | null | undefined): string;
  function idInt(value: Id | null | undefined): number | null;
  function sameId(a: Id | null | undefined, b: Id | null | undefined): boolean;
  function map(value: unknown, path?: string): Record<string, Json>;
  function seq<T = Json>(value: unknown, path?: string, entry?: Decoder<T>): T[];
  /** A shape for `object`, made once. */
  interface Shape<F extends Record<string, Decoder<unknown>>> {
    keys: (keyof F & string)[];
    decoders: Decoder<unknown>[];
    names: string[][];
    known: Record<string, true>;
  }
  function shape<F extends Record<string, Decoder<unknown>>>(fields: F, wireNames?: Record<string, string[]>): Shape<F>;
  function object<F extends Record<string, Decoder<unknown>>>(
    value: unknown,
    path: string,
    fields: F | Shape<F>,
    wireNames?: Record<string, string[]>,
  ): { [K in keyof F]: ReturnType<F[K]> } & { extra: Record<string, Json> };
  function isEmptyEntry(value: unknown): boolean;
}

export function idText(value: Id | null | undefined): string;
export function idInt(value: Id | null | undefined): number | null;
export function sameId(a: Id | null | undefined, b: Id | null | undefined): boolean;

/** One checkout event: its name and the JSON body Bold sent. */
export class Event {
  /** Throws `invalid-input` when the body is not a JSON object. */
  constructor(name: string, body: string);
  /** Named by the body's `event` field. */
  static parse(body: string): Event;
  readonly name: string;
  readonly body: string;
  readonly json: Record<string, Json>;
  keys(): string[];
  field(key: string): Json | undefined;
  cart(): Cart;
  customer(): Customer;
  order(): Order;
  cartParams(): Record<string, Json>;
  properties(): Record<string, Json>;
  hook(): string | undefined;
  orderId(): Id | null;
  idempotentKey(): string | null;
  languageIso(): string | null;
  shippingLines(): Json[];
  taxLines(): Json[];
  discountLines(): Json[];
  /** The value at an RFC 6901 JSON pointer; `undefined` when missing or null. */
  pointer(pointer: string): Json | undefined;
  pointer<T>(pointer: string, decoder: Decoder<T>): T | undefined;
}

// --- actions ---------------------------------------------------------------

/** The fields of an address change (Bold's names); missing text is `""`, flags false. */
export interface AddressChange {
  first_name?: string;
  last_name?: string;
  company?: string;
  address?: string;
  address2?: string;
  phone?: string;
  city?: string;
  province?: string;
  province_code?: string;
  country?: string;
  country_code?: string;
  postal_code?: string;
  update_billing?: boolean;
  different_billing_address?: boolean;
}

/** A WIT `action` value, as componentize-js lowers it. */
export type WitAction = { tag: string; val: unknown };

/** One action for Checkout; mirrors the WIT `action` variant. */
export class Action {
  private constructor();
  /** Bold's type name, e.g. `add_note`. */
  readonly type: string;
  /** Bold's `data` object. */
  readonly data: Record<string, Json>;
  /** Whether it crosses the WIT boundary as the `generic` case. */
  readonly generic: boolean;
  static is(value: unknown): value is Action;
  static addLineItemByPlatformVariant(
    platformVariantId: number | bigint,
    lineItemKey: string,
    quantity: number | bigint,
    price: number | bigint,
    options?: { properties?: Record<string, string> | [string, string][]; isAmendment?: boolean },
  ): Action;
  static addFee(
    id: string,
    lineText: string,
    feeType: string,
    taxable: boolean,
    value: number | bigint,
    options?: { isAmendment?: boolean },
  ): Action;
  static addNote(note: string): Action;
  static changeShippingAddress(address: AddressChange): Action;
  static changeBillingAddress(address: AddressChange): Action;
  static flagOrderAsBopis(flagOrderAsBopis: boolean, hideShippingAddress: boolean, hideSavedAddresses: boolean): Action;
  static overrideAddressValidate(url: string): Action;
  static overrideDiscount(url: string): Action;
  static overrideInventory(url: string): Action;
  static overrideShipping(url: string): Action;
  static overrideTax(url: string): Action;
  /** Any action by type (lowercased) and `data` object. */
  static generic(type: string, data: Record<string, unknown>): Action;
  /** Bold's wire form. */
  toJSON(): { type: string; data: Record<string, Json> };
  toWit(): WitAction;
}

/** `{success: true, actions: [...]}`. */
export function actionsToResponse(actions: Action[]): { success: true; actions: { type: string; data: Record<string, Json> }[] };

// --- HTTP and Bold's API -----------------------------------------------------

export type Headers = [string, string][] | Record<string, string>;
export interface MessageInit {
  headers?: Headers;
  body?: string | Uint8Array | number[];
}

declare class Message {
  headers: [string, string][];
  body: Uint8Array;
  header(name: string): string | undefined;
  text(): string;
}

export class HttpRequest extends Message {
  constructor(method: string, url: string, init?: MessageInit);
  method: string;
  url: string;
  withHeader(name: string, value: string): this;
  withJson(value: unknown): this;
  json(): Json;
  toWit(): { method: string; url: string; headers: [string, string][]; body: Uint8Array };
  static from(request: HttpRequest | ({ method?: string; url: string } & MessageInit)): HttpRequest;
}

export class HttpResponse extends Message {
  constructor(status: number, init?: MessageInit);
  status: number;
  readonly ok: boolean;
  static json(status: number, value: unknown): HttpResponse;
  static fromWit(wit: { status: number; headers: [string, string][]; body: Uint8Array }): HttpResponse;
  /** Throws `failed("response body: …")`. */
  json(): Json;
}

export class BoldApiRequest extends Message {
  constructor(method: string, path: string, init?: MessageInit);
  method: string;
  path: string;
  withHeader(name: string, value: string): this;
  withJson(value: unknown): this;
  json(): Json;
  /** Throws `BoldApiError('invalid-request', …)` as the host would. */
  check(): void;
  toWit(): { method: string; path: string; headers: [string, string][]; body: Uint8Array };
  static from(request: BoldApiRequest | ({ method?: string; path: string } & MessageInit)): BoldApiRequest;
}

export const BOLD_METHODS: readonly string[];
export const RESERVED_HEADERS: readonly string[];
export const MAX_PATH_BYTES: number;
/** What is wrong with a Bold API path, or `undefined`. */
export function checkPath(path: string): string | undefined;
export function encodePathSegment(text: string): string;

// --- the host ----------------------------------------------------------------

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: readonly Level[];
export type Fields = Record<string, string | number | boolean> | [string, string][];

export class Shop {
  constructor(info: { platform: string; shop: string; installed: boolean; scopes?: string[] });
  platform: string;
  shop: string;
  installed: boolean;
  scopes: string[];
  static installed(platform: string, shop: string, scopes?: string[]): Shop;
  static notInstalled(platform: string, shop: string): Shop;
  hasScope(scope: string): boolean;
}

/** The host's services, handed to every handler. */
export class Host {
  config(key: string): string | undefined;
  configAll(): [string, string][];
  writeLog(level: Level, message: string, fields: [string, string][]): void;
  /** Throws an HttpError when there is no response. */
  http(request: HttpRequest | ({ method?: string; url: string } & MessageInit)): HttpResponse;
  shop(): Shop | undefined;
  /** Throws a BoldApiError when there is no response. */
  boldApi(request: BoldApiRequest | ({ method?: string; path: string } & MessageInit)): HttpResponse;
  log(level: Level, message: string, fields?: Fields): void;
  trace(message: string, fields?: Fields): void;
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
  /** The setting read as the type of `fallback`; throws `failed` when it does not read. */
  configOr<T extends string | number | bigint | boolean>(key: string, fallback: T): T extends number ? number : T extends bigint ? bigint : T extends boolean ? boolean : string;
  get(url: string, headers?: Headers): HttpResponse;
  getJson(url: string, headers?: Headers): Json;
  sendJson(method: string, url: string, headers: Headers, body: unknown): HttpResponse;
  boldGet(path: string): HttpResponse;
  boldGetJson(path: string): Json;
  boldSendJson(method: string, path: string, body: unknown): HttpResponse;
}

// --- plugins -----------------------------------------------------------------

type MaybePromise<T> = T | Promise<T>;

/** A checkout plugin: plain functions over SDK types. */
export interface Plugin {
  handleEvent(event: Event, host: Host): MaybePromise<Action[]>;
  /** JSON text returned to Checkout as is (any other value is JSON-encoded). */
  handleOverride?(kind: string, body: string, host: Host): MaybePromise<string | Json>;
  handleWebhook?(topic: string, body: string, host: Host): MaybePromise<void>;
}

export type WitResult<T> = { tag: 'ok'; val: T } | { tag: 'err'; val: WitHandlerError };

/** Checks and returns the plugin. */
export function definePlugin<P extends Plugin>(plugin: P): P;

/** The three WIT exports, returning results and never throwing. */
export function exportPlugin(
  plugin: Plugin,
  makeHost: () => Host,
): {
  handleEvent(event: { name: string; body: string }): MaybePromise<WitResult<WitAction[]>>;
  handleOverride(kind: string, body: string): MaybePromise<WitResult<string>>;
  handleWebhook(topic: string, body: string): MaybePromise<WitResult<undefined>>;
};

/** The WIT `list<action>` of an answer; throws a TypeError for anything but Actions. */
export function actionsToWit(actions: unknown): WitAction[];

/** JSON text with every object's keys sorted, as Rust's serde_json writes a `Value`. */
export function sortedJson(value: unknown): string;
