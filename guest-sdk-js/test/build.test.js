// The build script's bundle and input hash (the slow componentize-js step
// is exercised by scripts/build-js-guests.sh).
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { DISABLED_FEATURES, bundle, buildComponent, inputsHash } from '../bin/build-component.mjs';

const SDK = fileURLToPath(new URL('..', import.meta.url));

function plugin(dir, note) {
  writeFileSync(
    join(dir, 'plugin.js'),
    `import { Action, definePlugin } from '@checkout-plugin/sdk';\nexport default definePlugin({ handleEvent: () => [Action.addNote(${JSON.stringify(note)})] });\n`,
  );
  return join(dir, 'plugin.js');
}

test('the host links neither wasi:http nor the fetch event', () => {
  assert.deepEqual(DISABLED_FEATURES, ['http', 'fetch-event']);
});

test('one bundle: the plugin, the SDK and the component glue; WIT imports left external', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sdk-build-'));
  try {
    mkdirSync(join(dir, 'node_modules', '@checkout-plugin'), { recursive: true });
    symlinkSync(SDK, join(dir, 'node_modules', '@checkout-plugin', 'sdk'));
    const text = await bundle(plugin(dir, 'one'));
    assert.match(text, /from "checkout:plugin\/log@0\.1\.1"/);
    assert.match(text, /export \{[^}]*handleEvent/);
    assert.doesNotMatch(text, /from "@checkout-plugin\/sdk"/);
    assert.doesNotMatch(text, /node:/, 'nothing of node (the testing module) is bundled');

    // The same inputs hash the same; any change of the sources changes it.
    const a = inputsHash(text, dir);
    assert.equal(inputsHash(await bundle(plugin(dir, 'one')), dir), a);
    const b = inputsHash(await bundle(plugin(dir, 'two')), dir);
    assert.notEqual(a, b);
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    assert.notEqual(inputsHash(await bundle(plugin(dir, 'two')), dir), b, 'the plugin lock counts');

    // Up to date: a component with the stamp of its inputs is not rebuilt.
    const out = join(dir, 'out.wasm');
    writeFileSync(out, 'not really a component');
    writeFileSync(`${out}.stamp`, `${inputsHash(await bundle(join(dir, 'plugin.js')), dir)}\n`);
    const r = await buildComponent(join(dir, 'plugin.js'), out);
    assert.equal(r.built, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
