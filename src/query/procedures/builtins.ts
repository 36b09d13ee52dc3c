/**
 * Built-in procedures: schema introspection of the local store.
 */
import type { ProcedureDefinition } from '../types.ts';

export const builtinProcedures: readonly ProcedureDefinition[] = [
  {
    name: 'db.labels',
    description: 'Every node label in use, sorted.',
    inputs: [],
    outputs: [{ name: 'label', type: 'STRING' }],
    run: (_args, { graph }) => graph.labels().map((l) => [l]),
  },
  {
    name: 'db.relationshipTypes',
    description: 'Every relationship type in use, sorted.',
    inputs: [],
    outputs: [{ name: 'relationshipType', type: 'STRING' }],
    run: (_args, { graph }) => graph.relationshipTypes().map((t) => [t]),
  },
  {
    name: 'db.propertyKeys',
    description: 'Every property key in use, sorted.',
    inputs: [],
    outputs: [{ name: 'propertyKey', type: 'STRING' }],
    run: (_args, { graph }) => graph.propertyKeys().map((k) => [k]),
  },
  {
    name: 'db.indexes',
    description: 'The property indexes: name, label, properties, unique.',
    inputs: [],
    outputs: [
      { name: 'name', type: 'STRING' },
      { name: 'label', type: 'STRING' },
      { name: 'properties', type: 'LIST OF STRING' },
      { name: 'unique', type: 'BOOLEAN' },
    ],
    run: (_args, { graph }) => graph.indexes().map((ix) => [ix.name, ix.label, [...ix.keys], ix.unique]),
  },
];
