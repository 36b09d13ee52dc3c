/**
 * The query layer: `QueryEngine` runs GQL / openCypher statements against a graph store.
 */
export { QueryEngine } from './engine.ts';
export type { EngineStore } from './store.ts';
export type { EngineResult, Params, ProcedureColumn, ProcedureContext, ProcedureDefinition } from './types.ts';
export { ProcedureRegistry } from './procedures/registry.ts';
export { isReadOnlyStatement } from './read-only.ts';
