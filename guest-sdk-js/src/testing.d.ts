import { Host } from './index.js';
import type { Action, BoldApiError, BoldApiRequest, Event, HttpError, HttpRequest, HttpResponse, Json, Level, Plugin, Shop } from './index.js';

export { HttpResponse, HttpError, BoldApiError } from './index.js';

/** What the host checks an answer against. */
export interface ActionPolicy {
  /** `null`: not scope-checked. */
  scopes: Set<string> | null;
  extraActionTypes: Set<string>;
  outputLimit: number;
}

export const DEFAULT_OUTPUT_LIMIT: number;

/** Why the host would refuse an answer. */
export class Refusal extends Error {
  kind: 'invalid_output' | 'output_limit';
  reason: string;
  action: number | undefined;
}

/** Checks actions as the host does; returns the response text or throws a Refusal. */
export function checkActions(actions: Action[], policy: ActionPolicy): string;
/** Checks an override answer as the host does; throws a Refusal. */
export function checkOverride(body: string, policy: ActionPolicy): void;

/** A request nothing answered. */
export class UnscriptedRequest extends Error {}

export interface LogRecord {
  level: Level;
  message: string;
  fields: [string, string][];
}

/** A Host for tests: every import stubbed, scripted or recorded. */
export class TestHost extends Host {
  logs: LogRecord[];
  requests: HttpRequest[];
  boldRequests: BoldApiRequest[];
  unscripted: string[];
  withConfig(key: string, value: string | number | boolean): this;
  withShop(shop: Shop): this;
  withScopes(scopes: Iterable<string>): this;
  withExtraActionTypes(types: Iterable<string>): this;
  withOutputLimit(bytes: number): this;
  withHttpResponse(method: string, url: string, response: HttpResponse): this;
  withHttpError(method: string, url: string, error: HttpError): this;
  withHttp(double: (request: HttpRequest) => HttpResponse): this;
  withBoldResponse(method: string, path: string, response: HttpResponse): this;
  withBoldError(method: string, path: string, error: BoldApiError): this;
  withBoldApi(double: (request: BoldApiRequest) => HttpResponse): this;
  logged(text: string): boolean;
  policy(): ActionPolicy;
  assertAllScripted(): void;
}

export function fixtureNames(): string[];
export function fixtureJson(name: string): string;
export function fixture(name: string): Event;
export function fixtureWith(name: string, edit: (body: any) => unknown): Event;
export function eventFromJson(body: unknown): Event;

/** Runs handleEvent and checks the actions as the host does. */
export function runEvent(plugin: Plugin, event: Event, host?: TestHost): Action[];
/** Runs handleOverride and checks the answer as the host does. */
export function runOverride(plugin: Plugin, kind: string, body: string, host?: TestHost): string;
/** Runs handleWebhook. */
export function runWebhook(plugin: Plugin, topic: string, body: string, host?: TestHost): void;

export function actionsJson(actions: Action[]): { type: string; data: Record<string, Json> }[];
export function assertActions(actions: Action[], expected: { type: string; data: Record<string, unknown> }[]): void;
