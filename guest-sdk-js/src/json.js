// JSON text helpers.

function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    if (typeof value.toJSON === 'function') return sortKeys(value.toJSON());
    const out = {};
    for (const key of Object.keys(value).sort()) {
      if (value[key] !== undefined) out[key] = sortKeys(value[key]);
    }
    return out;
  }
  return value;
}

/**
 * JSON text with every object's keys in sorted order (UTF-16 code unit
 * order, which is byte order for ASCII keys), as Rust's serde_json writes
 * a `Value` by default: the way to answer byte for byte what a Rust plugin
 * answers.
 */
export function sortedJson(value) {
  return JSON.stringify(sortKeys(value));
}
