/** Draws an EXPLAIN plan (see plan-tree.ts) as a pipeline of operator boxes, nested pipelines indented. */
import { parsePlan, type PlanNode } from './plan-tree.ts';

/** Deepest nesting drawn (a plan deeper than this is drawn flat from there on). */
const PLAN_DEPTH_MAX = 32;

function renderList(nodes: readonly PlanNode[], depth: number): HTMLOListElement {
  const ol = document.createElement('ol');
  for (const node of nodes) {
    const li = ol.appendChild(document.createElement('li'));
    const box = li.appendChild(document.createElement('span'));
    box.className = 'op';
    const name = box.appendChild(document.createElement('span'));
    name.className = 'op-name';
    name.textContent = node.operator;
    if (node.detail !== '') {
      const detail = box.appendChild(document.createElement('span'));
      detail.className = 'op-detail';
      detail.textContent = node.detail;
    }
    if (node.children.length > 0 && depth < PLAN_DEPTH_MAX) li.appendChild(renderList(node.children, depth + 1));
  }
  return ol;
}

/** Replaces `container`'s content with the drawing of `planText`. */
export function renderPlan(container: HTMLElement, planText: string): void {
  container.replaceChildren(renderList(parsePlan(planText), 0));
}
