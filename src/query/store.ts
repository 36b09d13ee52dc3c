/**
 * What the engine needs of a store: the read interface plus `apply`, which returns the undo
 * commands. `GraphStore` (src/graph) implements it; tests may pass any implementation.
 */
import type { GraphCommand, GraphReader } from '../graph/index.ts';

export interface EngineStore extends GraphReader {
  /** Applies one command; returns the commands that undo it. Throws GeodeError, changing nothing. */
  apply(command: GraphCommand): GraphCommand[];
  /** Applies one command and returns no undo (the caller derives it); throws as `apply`. */
  applyWithoutUndo(command: GraphCommand): void;
}
