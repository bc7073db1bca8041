declare module 'checkout:plugin/config@0.1.1' {
  /**
   * The value of one setting, if it is set.
   */
  export function get(key: string): string | undefined;
  /**
   * Every setting, as key/value pairs.
   */
  export function all(): Array<[string, string]>;
}
