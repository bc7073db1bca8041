declare module 'checkout:plugin/log@0.1.1' {
  /**
   * Writes one record: a message and key/value fields.
   */
  export function log(level: Level, message: string, fields: Array<[string, string]>): void;
  /**
   * Severity of a log record.
   * # Variants
   * 
   * ## `"trace"`
   * 
   * Very detailed tracing.
   * ## `"debug"`
   * 
   * Information useful when debugging.
   * ## `"info"`
   * 
   * Normal operation.
   * ## `"warn"`
   * 
   * Something unexpected that the handler recovered from.
   * ## `"error"`
   * 
   * A failure.
   */
  export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error';
}
