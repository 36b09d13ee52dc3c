/**
 * The procedure registry: procedures by case-insensitive dotted name. Built-ins (`db.labels`,
 * `db.relationshipTypes`, `db.propertyKeys`, `db.indexes`) are registered by the engine; later
 * layers add their own with `register`.
 */
import { GeodeError } from '../../util/errors.ts';
import type { ProcedureDefinition } from '../types.ts';

export class ProcedureRegistry {
  readonly #byName = new Map<string, ProcedureDefinition>();

  /** Adds a procedure; a name already taken (any case) is refused with INPUT_INVALID. */
  register(def: ProcedureDefinition): void {
    const key = def.name.toLowerCase();
    if (this.#byName.has(key)) {
      throw new GeodeError('INPUT_INVALID', `a procedure named '${def.name}' is already registered`);
    }
    this.#byName.set(key, def);
  }

  lookup(name: string): ProcedureDefinition | undefined {
    return this.#byName.get(name.toLowerCase());
  }

  all(): ProcedureDefinition[] {
    return [...this.#byName.values()];
  }
}
