/**
 * Graph element functions: id, elementId, labels, type, properties, keys, startNode, endNode,
 * length. Reading the data of a deleted node or relationship is ENTITY_NOT_FOUND
 * DeletedEntityAccess.
 */
import type { Value } from '../../graph/index.ts';
import { isMap } from '../value-ops.ts';
import { arg, badType, badValue, checkLive, isEdge, isNode, isPath, propsToMap, strict } from './args.ts';
import type { FunctionDefinition } from './types.ts';

/**
 * The element id of a node (`'n<id>'`) or relationship (`'r<id>'`): a string, distinct across
 * nodes and relationships, stable for the life of the element.
 */
export function elementIdOf(v: Value): string | undefined {
  if (isNode(v)) return `n${v.id}`;
  if (isEdge(v)) return `r${v.id}`;
  return undefined;
}

export const graphFunctions: readonly FunctionDefinition[] = [
  strict('id', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isNode(v) || isEdge(v)) return BigInt(v.id);
    throw badType('id', v, 'a NODE or RELATIONSHIP');
  }),
  strict('elementId', 1, 1, (args) => {
    const v = arg(args, 0);
    const id = elementIdOf(v);
    if (id === undefined) throw badType('elementId', v, 'a NODE or RELATIONSHIP');
    return id;
  }),
  strict('labels', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isNode(v)) {
      checkLive('labels', v);
      return [...v.labels];
    }
    // The TCK: a path is a type error, any other value an invalid argument value.
    if (isPath(v)) throw badType('labels', v, 'a NODE');
    throw badValue('labels', v, 'a NODE');
  }),
  strict('type', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isEdge(v)) return v.type;
    throw badType('type', v, 'a RELATIONSHIP');
  }),
  strict('properties', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isNode(v) || isEdge(v)) {
      checkLive('properties', v);
      return propsToMap(v.props);
    }
    if (isMap(v)) return Object.assign(Object.create(null) as Record<string, Value>, v);
    throw badType('properties', v, 'a NODE, RELATIONSHIP or MAP');
  }),
  strict('keys', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isNode(v) || isEdge(v)) {
      checkLive('keys', v);
      return [...v.props.keys()];
    }
    if (isMap(v)) return Object.keys(v);
    throw badType('keys', v, 'a NODE, RELATIONSHIP or MAP');
  }),
  strict('startNode', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isEdge(v)) return v.src;
    throw badType('startNode', v, 'a RELATIONSHIP');
  }),
  strict('endNode', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isEdge(v)) return v.dst;
    throw badType('endNode', v, 'a RELATIONSHIP');
  }),
  strict('length', 1, 1, (args) => {
    const v = arg(args, 0);
    if (isPath(v)) return BigInt(v.edges.length);
    throw badType('length', v, 'a PATH');
  }),
];
