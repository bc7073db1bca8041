#!/usr/bin/env node
// TypeScript types of the WIT world `checkout-plugin` (guest side), as
// `jco guest-types` generates them, into `types/wit/`.
//
//   node bin/gen-wit-types.mjs           write them
//   node bin/gen-wit-types.mjs --check   exit 1 when the committed ones differ
//
// jco 1.35's CLI cannot read a WIT directory here (its WASI filesystem shim
// reports ENOENT for any path), so this calls the same generator,
// `generateTypes` of jco-transpile's js-component-bindgen component, with
// the package's WIT files as source text (the file with the `package`
// line first, then the others by name).

import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SDK = dirname(dirname(fileURLToPath(import.meta.url)));
export const WIT_DIR = join(SDK, 'wit');
export const OUT_DIR = join(SDK, 'types', 'wit');
export const WORLD = 'checkout-plugin';

/** The WIT package as one source text. */
export function witSource(dir = WIT_DIR) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.wit'))
    .sort();
  const texts = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  const isPackage = (t) => /^package /m.test(t);
  return [...texts.filter(isPackage), ...texts.filter((t) => !isPackage(t))].join('\n');
}

/** `{relativePath: text}` of the generated types. */
export async function generate() {
  const bindgen = await import('@bytecodealliance/jco-transpile/component');
  await bindgen.$init;
  const files = bindgen.generateTypes(WORLD, {
    wit: { tag: 'source', val: witSource() },
    world: WORLD,
    guest: true,
    features: { tag: 'list', val: [] },
    tlaCompat: false,
  });
  const out = {};
  for (const [name, bytes] of files) {
    out[name] = new TextDecoder().decode(bytes);
  }
  return out;
}

/** The committed files under `types/wit/`, as `{relativePath: text}`. */
export function committed() {
  const out = {};
  const walk = (dir, prefix) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(dir, e.name), `${prefix}${e.name}/`);
      else out[`${prefix}${e.name}`] = readFileSync(join(dir, e.name), 'utf8');
    }
  };
  walk(OUT_DIR, '');
  return out;
}

async function main() {
  const generated = await generate();
  if (process.argv.includes('--check')) {
    const have = committed();
    const names = new Set([...Object.keys(generated), ...Object.keys(have)]);
    const stale = [...names].filter((n) => generated[n] !== have[n]).sort();
    if (stale.length > 0) {
      console.error(`types/wit is stale (${stale.join(', ')}): run npm run gen-types`);
      process.exit(1);
    }
    console.log(`types/wit is up to date (${names.size} files)`);
    return;
  }
  rmSync(OUT_DIR, { recursive: true, force: true });
  for (const [name, text] of Object.entries(generated)) {
    const path = join(OUT_DIR, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  console.log(`wrote ${Object.keys(generated).length} files to types/wit/`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  await main();
}
