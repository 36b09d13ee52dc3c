/**
 * Schema commands (CREATE / DROP INDEX / CONSTRAINT) turned into store commands.
 */
import type { SchemaCommand } from '../../gql/index.ts';
import type { GraphCommand } from '../../graph/index.ts';
import { GeodeError } from '../../util/errors.ts';
import type { EngineStore } from '../store.ts';

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** The store command for a schema statement, or undefined when it is a no-op (IF [NOT] EXISTS). */
export function schemaCommand(c: SchemaCommand, store: EngineStore): GraphCommand | undefined {
  switch (c.kind) {
    case 'CreateIndex': {
      const name = c.name ?? `index_${c.label}_${c.keys.join('_')}`;
      if (c.ifNotExists && store.indexes().some((ix) => ix.name === name || (ix.label === c.label && sameKeys(ix.keys, c.keys)))) {
        return undefined;
      }
      return { op: 'createIndex', name, label: c.label, keys: c.keys };
    }
    case 'DropIndex': {
      const ix = store
        .indexes()
        .find((i) => (c.name !== undefined ? i.name === c.name : i.label === c.label && sameKeys(i.keys, c.keys)));
      if (ix === undefined) {
        if (c.ifExists) return undefined;
        throw new GeodeError('NOT_FOUND', `there is no index ${c.name ?? `on :${c.label}(${c.keys.join(', ')})`}`);
      }
      return { op: 'dropIndex', name: ix.name };
    }
    case 'CreateConstraint': {
      const name = c.name ?? `constraint_${c.label}_${c.keys.join('_')}`;
      if (c.ifNotExists && store.constraints().some((x) => x.name === name || (x.label === c.label && sameKeys(x.keys, c.keys)))) {
        return undefined;
      }
      return { op: 'createConstraint', name, label: c.label, keys: c.keys, kind: 'unique' };
    }
    case 'DropConstraint': {
      if (!store.constraints().some((x) => x.name === c.name)) {
        if (c.ifExists) return undefined;
        throw new GeodeError('NOT_FOUND', `there is no constraint named '${c.name}'`);
      }
      return { op: 'dropConstraint', name: c.name };
    }
  }
}
