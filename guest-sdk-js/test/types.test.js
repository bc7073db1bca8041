import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { committed, generate } from '../bin/gen-wit-types.mjs';

const SDK = fileURLToPath(new URL('..', import.meta.url));

test('types/wit is what jco generates from the WIT today (drift check)', async () => {
  const generated = await generate();
  const have = committed();
  assert.deepEqual(Object.keys(have).sort(), Object.keys(generated).sort(), 'run `npm run gen-types`');
  for (const [name, text] of Object.entries(generated)) {
    assert.equal(have[name], text, `types/wit/${name} is stale: run \`npm run gen-types\``);
  }
  assert.match(generated['checkout-plugin.d.ts'], /export function handleEvent\(event: Event\): Array<Action>;/);
});

test("the SDK's .d.ts files type-check a plugin", () => {
  const tsc = join(SDK, 'node_modules', '.bin', 'tsc');
  assert.ok(existsSync(tsc), 'tsc (typescript, a dependency of jco) is installed');
  const dir = mkdtempSync(join(tmpdir(), 'sdk-dts-'));
  try {
    writeFileSync(
      join(dir, 'plugin.ts'),
      `import { Action, HandlerError, definePlugin, idText, lenient, type Event, type Host } from '@checkout-plugin/sdk';
import { TestHost, fixture, runEvent } from '@checkout-plugin/sdk/testing';
const plugin = definePlugin({
  handleEvent(event: Event, host: Host): Action[] {
    const stock: number = host.configOr('stock', 100);
    const id: string = idText(event.pointer('/order/public_order_id', lenient.id));
    const country: string = event.customer().shipping.country_code;
    if (country === 'US') return [Action.addFee('fee-1', 'x', 'fixed', true, stock)];
    host.info('no fee', { country });
    return [Action.addNote(id)];
  },
  handleOverride(kind: string) {
    if (kind !== 'inventory') throw HandlerError.unsupported();
    return '{}';
  },
});
const actions: Action[] = runEvent(plugin, fixture('order_submitted_us'), new TestHost().withConfig('stock', '5'));
export default actions;
`,
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: [],
          paths: { '@checkout-plugin/sdk': [join(SDK, 'src/index.d.ts')], '@checkout-plugin/sdk/testing': [join(SDK, 'src/testing.d.ts')] },
        },
        files: ['plugin.ts', join(SDK, 'src/component.d.ts')],
      }),
    );
    execFileSync(tsc, ['-p', dir], { encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    assert.fail(`tsc: ${e.stdout ?? ''}${e.stderr ?? ''}${e.stdout || e.stderr ? '' : e.message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
