/**
 * EXPLAIN's plan text (one operator per line, nested pipelines indented by two spaces) as a tree
 * the console can draw. Pure: no DOM.
 */

/** One operator of a plan. */
export interface PlanNode {
  /** The operator (`NodeByLabelScan`). */
  readonly operator: string;
  /** What it works on (`(p:Person)`), `''` when nothing. */
  readonly detail: string;
  /** Nested pipelines' operators (OPTIONAL MATCH, MERGE, subqueries, UNION parts). */
  readonly children: PlanNode[];
}

/** Spaces per nesting level in the plan text. */
const INDENT = 2;

/** Parses plan text into its top-level operators, in execution order. Lines indented deeper than one level below their parent attach to the nearest shallower operator. */
export function parsePlan(text: string): PlanNode[] {
  const roots: PlanNode[] = [];
  const open: { depth: number; node: PlanNode }[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim().length === 0) continue;
    const spaces = raw.length - raw.trimStart().length;
    const depth = Math.floor(spaces / INDENT);
    const body = raw.trim();
    const space = body.indexOf(' ');
    const node: PlanNode = { operator: space < 0 ? body : body.slice(0, space), detail: space < 0 ? '' : body.slice(space + 1), children: [] };
    while (open.length > 0 && open[open.length - 1]!.depth >= depth) open.pop();
    const parent = open[open.length - 1];
    if (parent === undefined) roots.push(node);
    else parent.node.children.push(node);
    open.push({ depth, node });
  }
  return roots;
}
