import { GeodeError } from '../../util/errors.ts';
import type { ConfChange, ConfChangeSingle, NodeId } from '../types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** encodeConfChange: the bytes of a `confChange` entry. Inverse of {@link decodeConfChange}. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

const singleTypes = new Set(['addNode', 'addLearner', 'removeNode']);
const transitions = new Set(['auto', 'joint', 'jointExplicit']);

/** decodeConfChange: reads a `confChange` entry's data; throws GeodeError INPUT_INVALID when malformed. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch (cause) {
    throw new GeodeError('INPUT_INVALID', 'conf change entry is not valid JSON', { cause });
  }
  return checkConfChange(raw);
}

/** checkConfChange: validates a ConfChange given by a caller or decoded from the log. */
export function checkConfChange(raw: unknown): ConfChange {
  const bad = (why: string): never => {
    throw new GeodeError('INPUT_INVALID', `bad conf change: ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) return bad('not an object');
  const r = raw as { changes?: unknown; transition?: unknown; context?: unknown };
  if (!Array.isArray(r.changes)) return bad('changes must be an array');
  const changes: ConfChangeSingle[] = [];
  for (const c of r.changes as unknown[]) {
    if (typeof c !== 'object' || c === null) return bad('a change is not an object');
    const cc = c as { type?: unknown; nodeId?: unknown };
    if (typeof cc.type !== 'string' || !singleTypes.has(cc.type)) return bad(`unknown change type ${String(cc.type)}`);
    if (typeof cc.nodeId !== 'number' || !Number.isSafeInteger(cc.nodeId) || cc.nodeId <= 0) return bad(`bad node id ${String(cc.nodeId)}`);
    changes.push({ type: cc.type as ConfChangeSingle['type'], nodeId: cc.nodeId as NodeId });
  }
  const out: { changes: ConfChangeSingle[]; transition?: ConfChange['transition']; context?: string } = { changes };
  if (r.transition !== undefined) {
    if (typeof r.transition !== 'string' || !transitions.has(r.transition)) return bad(`unknown transition ${String(r.transition)}`);
    out.transition = r.transition as ConfChange['transition'];
  }
  if (r.context !== undefined) {
    if (typeof r.context !== 'string') return bad('context must be a string');
    out.context = r.context;
  }
  return out;
}

/** usesJoint: the change goes through joint consensus (several changes, or asked for). */
export function usesJoint(cc: ConfChange): boolean {
  return (cc.transition !== undefined && cc.transition !== 'auto') || cc.changes.length > 1;
}

/** isLeaveJoint: the empty change that leaves a joint configuration. */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.changes.length === 0;
}
