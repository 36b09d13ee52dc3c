/**
 * The shard view of a tab in a sharded cluster (`#cluster=<id>&shards=<n>`): one row per shard of
 * the shard map as this tab sees it (`db.cluster.sharding.shards()`, the rows of
 * `CALL db.cluster.shards()`): its strategy and key space (hash share of the ring, or range), its
 * leader, voters and learners (this tab starred), term, and the nodes and edges this tab's replica
 * holds; refreshed every {@link SHARD_VIEW_REFRESH_MS}. The shards the last statement touched are
 * marked (`touched`), as the console's status line names them.
 *
 * Test hooks: `document.body.dataset.shardCount` (shards shown), `shardLeaders` (shards with a
 * leader), `shardTouched` (the last statement's shards, comma-separated); each shard's card has
 * `data-shard`, `data-voters` and `data-nodes` (owned nodes on this tab's replica).
 */
import type { GeodeCluster } from '../src/index.ts';

/** How often the view reads the shard map, ms. */
export const SHARD_VIEW_REFRESH_MS = 1_000;

/** What the console tells the view. */
export interface ShardView {
  /** Marks the shards a statement touched (undefined: it was not routed by shard). */
  touched(shards: readonly number[] | undefined): void;
}

const short = (peer: string | null | undefined, self: string): string => (peer === null || peer === undefined || peer.length === 0 ? '—' : `…${peer.slice(-6)}${peer === self ? ' ★' : ''}`);

/** Renders the shard view of `handle` into `parent` (nothing when the cluster is not sharded). */
export function startShardView(parent: HTMLElement, handle: GeodeCluster): ShardView | undefined {
  const sharding = handle.sharding;
  if (sharding === undefined) return undefined;
  const el = <K extends keyof HTMLElementTagNameMap>(into: HTMLElement, tag: K, attrs: { id?: string; className?: string; text?: string }): HTMLElementTagNameMap[K] => {
    const e = into.appendChild(document.createElement(tag));
    if (attrs.id !== undefined) e.id = attrs.id;
    if (attrs.className !== undefined) e.className = attrs.className;
    if (attrs.text !== undefined) e.textContent = e.title = attrs.text;
    return e;
  };
  const section = el(parent, 'div', { id: 'shard-view' });
  el(section, 'h3', { className: 'panel-sub', text: 'Shards' });
  el(section, 'p', { className: 'small muted', text: 'Each shard is its own Raft group. Marked: the shards the last statement touched.' });
  const list = el(section, 'div', { id: 'shard-list' });
  let touched = new Set<number>();

  const render = (): void => {
    let rows;
    try {
      rows = sharding.shards();
    } catch {
      return; // closing
    }
    list.replaceChildren();
    for (const r of rows) {
      const card = el(list, 'div', { className: `shard-card${touched.has(r.shard) ? ' touched' : ''}` });
      const d = card.dataset;
      d['shard'] = String(r.shard);
      d['voters'] = String(r.replicas.length);
      d['nodes'] = String(r.nodes ?? 0);
      const held = r.nodes === null ? 'not held by this tab' : `${r.nodes} nodes · ${r.edges} edges`;
      el(card, 'div', { className: 'shard-head', text: `shard ${r.shard}${touched.has(r.shard) ? ' ◆ touched' : ''} · leader ${short(r.leader, handle.self)} · term ${r.term} · ${held}` });
      el(card, 'div', { className: 'small muted', text: `${r.strategy} · ${r.key_space}` });
      el(card, 'div', { className: 'small', text: `voters ${r.replicas.map((p) => short(p, handle.self)).join(', ')}${r.learners.length === 0 ? '' : ` · learners ${r.learners.map((p) => short(p, handle.self)).join(', ')}`}` });
    }
    const b = document.body.dataset;
    b['shardCount'] = String(rows.length);
    b['shardLeaders'] = String(rows.filter((r) => r.leader !== null).length);
    b['shardTouched'] = [...touched].sort((x, y) => x - y).join(',');
  };
  render();
  setInterval(render, SHARD_VIEW_REFRESH_MS);
  return {
    touched(shards) {
      touched = new Set(shards ?? []);
      render();
    },
  };
}
