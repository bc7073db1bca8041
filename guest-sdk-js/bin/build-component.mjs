#!/usr/bin/env node
// Builds a JavaScript checkout plugin into a WebAssembly component of the
// world `checkout:plugin/checkout-plugin@0.1.1`, cached by source hash.
//
//   node build-component.mjs <plugin.js> -o <component.wasm> [--force]
//
// <plugin.js> default-exports the plugin (`definePlugin({handleEvent, …})`)
// and imports no WIT module. The build:
//   1. bundles an entry (the plugin + the SDK's component glue, which
//      builds the Host from the WIT imports) into one ES module with
//      esbuild: componentize-js takes a single file;
//   2. hashes every input: that bundle (all the JavaScript that goes in),
//      the WIT files, the package-lock.json of the plugin and of the SDK,
//      the versions of componentize-js, jco, esbuild and node, this script
//      and the features; when the hash equals the one in
//      `<component.wasm>.stamp` and the component exists, stops there;
//   3. runs componentize-js with exactly the WASI features the host links:
//      stdio, random, clocks, and NOT http or fetch-event (a component that
//      imports `wasi:http` fails to load: "resource implementation is
//      missing");
//   4. refuses a component that still names `wasi:http`, then writes it
//      (atomically) and the stamp.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(import.meta.url);
const SDK = dirname(dirname(SCRIPT));
const WIT_DIR = join(SDK, 'wit');
const WORLD = 'checkout-plugin';
/** The WASI features the host links; never `http` or `fetch-event`. */
export const DISABLED_FEATURES = ['http', 'fetch-event'];

function usage(message) {
  if (message) console.error(`build-component: ${message}`);
  console.error('usage: build-component.mjs <plugin.js> -o <component.wasm> [--force]');
  process.exit(2);
}

function parseArgs(argv) {
  const args = { plugin: undefined, out: undefined, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-o' || a === '--out') args.out = argv[++i];
    else if (a === '--force') args.force = true;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (args.plugin === undefined) args.plugin = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!args.plugin) usage('no plugin module');
  if (!args.out) usage('no output (-o component.wasm)');
  return args;
}

/** The installed version of `pkg`, as resolved from this script. */
function versionOf(pkg) {
  let dir = dirname(fileURLToPath(import.meta.resolve(pkg)));
  for (; dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const json = JSON.parse(readFileSync(manifest, 'utf8'));
      if (json.name === pkg) return json.version;
    }
  }
  throw new Error(`cannot find the version of ${pkg}`);
}

/** The nearest package-lock.json at or above `dir`, if any. */
function lockAbove(dir) {
  for (let d = dir; ; d = dirname(d)) {
    const lock = join(d, 'package-lock.json');
    if (existsSync(lock)) return lock;
    if (dirname(d) === d) return undefined;
  }
}

function witFiles() {
  return readdirSync(WIT_DIR)
    .filter((f) => f.endsWith('.wit'))
    .sort()
    .map((f) => [f, readFileSync(join(WIT_DIR, f))]);
}

/** The entry module: the plugin, exported through the SDK's component glue. */
function entrySource(pluginPath) {
  const glue = join(SDK, 'src', 'component.js');
  return [
    `import plugin from ${JSON.stringify(pluginPath)};`,
    `import { exportComponent } from ${JSON.stringify(glue)};`,
    'const exported = exportComponent(plugin);',
    'export function handleEvent(event) { return exported.handleEvent(event); }',
    'export function handleOverride(kind, body) { return exported.handleOverride(kind, body); }',
    'export function handleWebhook(topic, body) { return exported.handleWebhook(topic, body); }',
    '',
  ].join('\n');
}

export async function bundle(pluginPath) {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    stdin: { contents: entrySource(pluginPath), resolveDir: dirname(pluginPath), sourcefile: 'entry.js', loader: 'js' },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // The WIT imports exist only inside the component.
    external: ['checkout:plugin/*', 'wasi:*'],
    logLevel: 'silent',
    legalComments: 'none',
  });
  return result.outputFiles[0].text;
}

/** The hash of every input of the build. */
export function inputsHash(bundleText, pluginDir) {
  const hash = createHash('sha256');
  const part = (name, data) => {
    hash.update(`${name}\0${data.length}\0`);
    hash.update(data);
  };
  part('bundle', bundleText);
  for (const [name, data] of witFiles()) part(`wit/${name}`, data);
  for (const [name, lock] of [
    ['plugin-lock', lockAbove(pluginDir)],
    ['sdk-lock', join(SDK, 'package-lock.json')],
  ]) {
    part(name, lock && existsSync(lock) ? readFileSync(lock) : '');
  }
  part(
    'tools',
    JSON.stringify({
      componentize: versionOf('@bytecodealliance/componentize-js'),
      jco: versionOf('@bytecodealliance/jco'),
      esbuild: versionOf('esbuild'),
      node: process.versions.node,
      world: WORLD,
      disabled: DISABLED_FEATURES,
    }),
  );
  part('script', readFileSync(SCRIPT));
  return hash.digest('hex');
}

/** The interfaces a component imports, e.g. `checkout:plugin/log@0.1.1`, `wasi:io/streams@0.2.3`. */
export async function componentImports(component) {
  const { componentWit } = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const wit = await componentWit(component);
  return [...wit.matchAll(/^\s*import ([^;\s]+);/gm)].map((m) => m[1]);
}

function writeAtomically(path, data) {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Builds `pluginPath` into `outPath` unless the stamp says it is up to date. */
export async function buildComponent(pluginPath, outPath, { force = false } = {}) {
  const plugin = resolve(pluginPath);
  const out = resolve(outPath);
  if (!existsSync(plugin)) throw new Error(`no plugin module at ${plugin}`);
  const started = performance.now();
  const bundleText = await bundle(plugin);
  const hash = inputsHash(bundleText, dirname(plugin));
  const stampPath = `${out}.stamp`;
  if (!force && existsSync(out) && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === hash) {
    return { built: false, out, hash, seconds: (performance.now() - started) / 1000 };
  }

  mkdirSync(dirname(out), { recursive: true });
  const bundlePath = join(dirname(out), `${basename(out, '.wasm')}.bundle.js`);
  writeFileSync(bundlePath, bundleText);

  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({
    sourcePath: bundlePath,
    witPath: WIT_DIR,
    worldName: WORLD,
    disableFeatures: DISABLED_FEATURES,
  });
  const imports = await componentImports(component);
  const refused = imports.filter((name) => name.startsWith('wasi:http/'));
  if (refused.length > 0) {
    writeAtomically(`${out}.rejected`, component);
    throw new Error(`the component imports ${refused.join(', ')}, which the plugin host does not link`);
  }
  writeAtomically(out, component);
  writeAtomically(stampPath, `${hash}\n`);
  return { built: true, out, hash, imports, bytes: component.length, seconds: (performance.now() - started) / 1000 };
}

if (process.argv[1] && realpathSync(resolve(process.argv[1])) === SCRIPT) {
  const args = parseArgs(process.argv.slice(2));
  try {
    const r = await buildComponent(args.plugin, args.out, { force: args.force });
    const rel = (p) => (p.startsWith(`${process.cwd()}/`) ? p.slice(process.cwd().length + 1) : p);
    if (r.built) {
      console.log(`built ${rel(r.out)} (${(r.bytes / 1e6).toFixed(1)} MB) in ${r.seconds.toFixed(1)} s`);
    } else {
      console.log(`${rel(r.out)} is up to date (inputs ${r.hash.slice(0, 12)}; ${r.seconds.toFixed(2)} s)`);
    }
  } catch (e) {
    console.error(`build-component: ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  }
}
