import type { Host, Plugin, exportPlugin } from './index.js';

/** The Host of a call inside the component: every method is a WIT import. */
export class WasmHost extends Host {}

/** The component's exports for `plugin`, with the WIT imports as its Host. */
export function exportComponent(plugin: Plugin): ReturnType<typeof exportPlugin>;
