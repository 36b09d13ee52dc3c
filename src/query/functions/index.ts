/**
 * The scalar function registry: `lookupFunction(name)` finds a built-in by name, ignoring case.
 * Aggregates (count, sum, collect, ...) are not here: see `../aggregates.ts`. `exists(...)` is
 * the engine's. Temporal constructors build from maps of components (see `temporal.ts`).
 *
 * Every function is listed with its signature and an example in `docs/functions.md`.
 */
import { assert } from '../../util/assert.ts';
import { conversionFunctions } from './conversion.ts';
import { graphFunctions } from './graph.ts';
import { listFunctions } from './list.ts';
import { mathFunctions } from './math.ts';
import { stringFunctions } from './string.ts';
import { temporalFunctions } from './temporal.ts';
import type { FunctionDefinition } from './types.ts';

export type { FunctionContext, FunctionDefinition } from './types.ts';
export { listItemsMax, distinctItemsMax, stringLengthMax, valueDepthMax } from './constants.ts';
export { range } from './list.ts';
export { elementIdOf } from './graph.ts';
export { toBoolean, toFloat, toInteger, toStringValue } from './conversion.ts';

const registry: ReadonlyMap<string, FunctionDefinition> = (() => {
  const m = new Map<string, FunctionDefinition>();
  for (const group of [stringFunctions, listFunctions, mathFunctions, conversionFunctions, graphFunctions, temporalFunctions]) {
    for (const def of group) {
      const key = def.name.toLowerCase();
      assert(!m.has(key), `function ${def.name} registered twice`);
      assert(def.minArgs <= def.maxArgs, `function ${def.name}: minArgs ${def.minArgs} > maxArgs ${def.maxArgs}`);
      m.set(key, def);
    }
  }
  return m;
})();

/** The built-in function called `name` (any case), or undefined when there is none. */
export function lookupFunction(name: string): FunctionDefinition | undefined {
  return registry.get(name.toLowerCase());
}

/** Every built-in function, for documentation and `SHOW FUNCTIONS`-style listings. */
export function allFunctions(): FunctionDefinition[] {
  return [...registry.values()];
}
