/**
 * The dashboard's replication-lag chart: a hand-drawn SVG line chart (a chart library would weigh
 * more than the whole panel), one line per replica, over the last {@link LAG_SAMPLES_MAX}
 * samples. {@link LagHistory} keeps the samples (pure, tested in Node); {@link renderLagChart}
 * draws them into an `<svg>`.
 *
 * On the leader each line is a replica's `entriesBehind` from `db.cluster.replicationLag()`. A
 * follower does not know the others' progress (only the leader does), so it charts itself: its
 * commit index minus its applied index.
 */

/** Samples kept per line: 60 at the panel's 500 ms refresh is the last 30 s. */
export const LAG_SAMPLES_MAX = 60;
/** Lines drawn at most (a replica each; the panel shows the voters and learners of one group). */
export const LAG_SERIES_MAX = 8;
/** Line colours, one per replica in peer order; chosen to read on the light and the dark theme. */
export const LAG_COLOURS: readonly string[] = ['#4f5fe8', '#1f9d5a', '#d9822b', '#c42b8a', '#0d8c9c', '#8a5cf6', '#b8a11a', '#e0475b'];

/** One sample: entries behind per peer (missing: not a replica at that moment). */
export type LagSample = ReadonlyMap<string, number>;

/** LagHistory: the last samples of every replica's lag. */
export class LagHistory {
  readonly #samples: LagSample[] = [];

  /** add: appends one sample, dropping the oldest past {@link LAG_SAMPLES_MAX}. */
  add(sample: LagSample): void {
    this.#samples.push(sample);
    if (this.#samples.length > LAG_SAMPLES_MAX) this.#samples.shift();
  }

  /** clear: forgets every sample (the tab's role changed: the lines mean something else now). */
  clear(): void {
    this.#samples.length = 0;
  }

  get length(): number {
    return this.#samples.length;
  }

  /** peers: every peer with a sample, sorted, at most {@link LAG_SERIES_MAX}. */
  peers(): string[] {
    const all = new Set<string>();
    for (const s of this.#samples) for (const p of s.keys()) all.add(p);
    return [...all].sort().slice(0, LAG_SERIES_MAX);
  }

  /** max: the largest lag of any sample (0 when none). */
  max(): number {
    let m = 0;
    for (const s of this.#samples) for (const v of s.values()) if (v > m) m = v;
    return m;
  }

  /** latest: the newest sample's lag of `peer`, or undefined. */
  latest(peer: string): number | undefined {
    return this.#samples[this.#samples.length - 1]?.get(peer);
  }

  /**
   * points: the SVG polyline points of `peer`'s line in a `width` × `height` box: x by sample
   * slot (the newest at the right edge), y from 0 at the bottom to `top` at the top. Gaps (no
   * sample for the peer) split the line: one string per unbroken run.
   */
  points(peer: string, width: number, height: number, top: number): string[] {
    const runs: string[] = [];
    let run: string[] = [];
    const n = this.#samples.length;
    const step = width / (LAG_SAMPLES_MAX - 1);
    const scale = top <= 0 ? 0 : height / top;
    for (let i = 0; i < n; i++) {
      const v = this.#samples[i]!.get(peer);
      if (v === undefined) {
        if (run.length > 0) runs.push(run.join(' '));
        run = [];
        continue;
      }
      const x = width - (n - 1 - i) * step;
      const y = height - Math.min(v, top) * scale;
      run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
    }
    if (run.length > 0) runs.push(run.join(' '));
    return runs;
  }
}

/** The y axis' top: the next of 1, 2, 5, 10, 20, 50, ... at or above `max` (at least 1). */
export function niceTop(max: number): number {
  if (!(max > 1)) return 1;
  const mag = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * mag >= max) return m * mag;
  return 10 * mag;
}

const SVG = 'http://www.w3.org/2000/svg';
/** The chart's height and, until it is laid out, width, in CSS pixels (it takes its element's width). */
const W_DEFAULT = 300;
const H = 90;
const PAD_LEFT = 26;
const PAD_BOTTOM = 4;
const PAD_TOP = 8;

function el<K extends keyof SVGElementTagNameMap>(parent: Element, tag: K, attrs: Record<string, string>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent.appendChild(e);
  return e;
}

/** Short label of a peer id (its last six characters). */
export const shortPeer = (peer: string): string => `…${peer.slice(-6)}`;

/**
 * renderLagChart: draws `history` into `svg` (cleared first) and the legend into `legend`:
 * one coloured line per peer, a y axis from 0 to a round top, the self peer's label marked;
 * `label` names a line in the legend (a peer's short id by default; the federation panel's are cluster ids).
 */
export function renderLagChart(svg: SVGSVGElement, legend: HTMLElement, history: LagHistory, self: string, label: (key: string) => string = shortPeer): void {
  svg.replaceChildren();
  const W = svg.clientWidth > 0 ? Math.round(svg.clientWidth) : W_DEFAULT;
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  const top = niceTop(history.max());
  const plotW = W - PAD_LEFT;
  const plotH = H - PAD_TOP - PAD_BOTTOM;
  const g = el(svg, 'g', { transform: `translate(${PAD_LEFT},${PAD_TOP})` });
  for (const [frac, label] of [
    [0, String(top)],
    [0.5, top % 2 === 0 ? String(top / 2) : ''],
    [1, '0'],
  ] as const) {
    const y = (frac * plotH).toFixed(1);
    el(g, 'line', { x1: '0', x2: String(plotW), y1: y, y2: y, class: 'lag-grid' });
    if (label !== '') el(svg, 'text', { x: String(PAD_LEFT - 4), y: String(PAD_TOP + frac * plotH + 3), class: 'lag-axis', 'text-anchor': 'end' }).textContent = label;
  }
  const peers = history.peers();
  legend.replaceChildren();
  peers.forEach((peer, i) => {
    const colour = LAG_COLOURS[i % LAG_COLOURS.length]!;
    for (const pts of history.points(peer, plotW, plotH, top)) {
      el(g, 'polyline', { points: pts, fill: 'none', stroke: colour, 'stroke-width': '1.6', 'vector-effect': 'non-scaling-stroke', 'stroke-linejoin': 'round' });
    }
    const item = legend.appendChild(document.createElement('span'));
    item.className = 'lag-key';
    item.style.setProperty('--key', colour);
    const now = history.latest(peer);
    item.textContent = `${label(peer)}${peer === self ? ' ★' : ''} ${now === undefined ? '–' : now}`;
    item.title = peer;
  });
  svg.dataset['series'] = String(peers.length);
  svg.dataset['samples'] = String(history.length);
}
