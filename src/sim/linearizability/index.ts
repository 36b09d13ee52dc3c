/**
 * The linearizability checker (Porcupine-style) and its key-value model.
 * @packageDocumentation
 */
export type { Operation, Model, CheckOutcome, CheckResult, CheckOptions, Counterexample } from './model.ts';
export { checkOperations, partitionOperationsMax } from './checker.ts';
export { kvModel, dropPendingReads } from './kv-model.ts';
export type { KvInput, KvOutput, KvOperation } from './kv-model.ts';
