// A module loader hook: `checkout:plugin/<interface>@0.1.1` resolves to the
// stand-ins of fake-wit.js.
const FAKE = new URL('./fake-wit.js', import.meta.url).href;
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('checkout:plugin/')) return { url: FAKE, shortCircuit: true };
  return next(specifier, context);
}
