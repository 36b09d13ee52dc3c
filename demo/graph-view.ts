/**
 * The graph drawing of a result: cytoscape.js (loaded on first use), nodes coloured by label,
 * relationships as labelled arrows, endpoints outside the result as dashed placeholders. Tapping
 * an element shows its properties. Colours come from style.css's custom properties at draw time.
 */
import type { Core, ElementDefinition, StylesheetJson } from 'cytoscape';
import type { GeodeNode, GeodeRelationship } from '../src/index.ts';
import { formatValue, plural } from './format.ts';
import { nodeCaption, type GraphData } from './graph-data.ts';

/** Label colours, picked by a hash of the label so a label keeps its colour across results. */
const LABEL_COLOURS = ['#5b6cff', '#12a38a', '#e0793b', '#c2489a', '#3a96d8', '#8a62d8', '#d4a21c', '#e25563', '#4aa54f', '#6f7d96'] as const;

/** Most nodes laid out on a circle; bigger graphs get a force-directed layout. */
const SMALL_GRAPH_NODES = 8;

/** From this many relationships on, their type labels are drawn only when selected (they would overlap). */
const QUIET_EDGES_FROM = 24;

/** The colour of a label (stable: a hash of its name). */
export function labelColour(label: string | undefined): string {
  if (label === undefined) return LABEL_COLOURS[LABEL_COLOURS.length - 1]!;
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) >>> 0;
  return LABEL_COLOURS[h % LABEL_COLOURS.length]!;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v.length > 0 ? v : fallback;
}

function styles(): StylesheetJson {
  const text = cssVar('--graph-text', '#1b2233');
  const edge = cssVar('--graph-edge', '#a3abc0');
  const edgeText = cssVar('--graph-edge-text', '#56607a');
  const bg = cssVar('--graph-bg', '#ffffff');
  const accent = cssVar('--accent', '#4f5fe8');
  return [
    {
      selector: 'node',
      style: {
        'background-color': 'data(colour)',
        label: 'data(caption)',
        color: text,
        'font-size': 12,
        'font-family': 'system-ui, sans-serif',
        'text-valign': 'bottom',
        'text-margin-y': 4,
        'text-outline-color': bg,
        'text-outline-width': 2,
        'min-zoomed-font-size': 4,
        width: 30,
        height: 30,
        'border-width': 2,
        'border-color': bg,
      },
    },
    { selector: 'node.placeholder', style: { 'background-opacity': 0, 'border-style': 'dashed', 'border-color': edge, 'border-width': 1.5, color: edgeText } },
    { selector: 'node:selected', style: { 'border-color': accent, 'border-width': 3 } },
    {
      selector: 'edge',
      style: {
        width: 1.5,
        'line-color': edge,
        'target-arrow-color': edge,
        'target-arrow-shape': 'triangle',
        'arrow-scale': 0.9,
        'curve-style': 'bezier',
        label: 'data(type)',
        'font-size': 9,
        color: edgeText,
        'text-rotation': 'autorotate',
        'text-background-color': bg,
        'text-background-opacity': 1,
        'text-background-padding': '1px',
        'min-zoomed-font-size': 7,
      },
    },
    { selector: 'edge.quiet', style: { label: '' } },
    { selector: 'edge:selected', style: { 'line-color': accent, 'target-arrow-color': accent, width: 2.5, label: 'data(type)' } },
  ];
}

/**
 * The elements, nodes placed on a circle in result order: the force layout starts from there, so
 * a drawing is the same every time (cose's own random start is not) and rings come out untangled.
 */
function elements(g: GraphData): ElementDefinition[] {
  const out: ElementDefinition[] = [];
  const count = g.nodes.length + g.missingNodeIds.length;
  const radius = 40 * Math.sqrt(count);
  let i = 0;
  const at = (): { x: number; y: number } => {
    const angle = (2 * Math.PI * i++) / Math.max(count, 1) - Math.PI / 2;
    return { x: radius * Math.cos(angle), y: radius * Math.sin(angle) };
  };
  for (const n of g.nodes) {
    out.push({ group: 'nodes', data: { id: `n${n.id}`, caption: nodeCaption(n), colour: labelColour(n.labels[0]) }, position: at() });
  }
  for (const id of g.missingNodeIds) {
    out.push({ group: 'nodes', data: { id: `n${id}`, caption: `#${id}`, colour: '#000000' }, classes: 'placeholder', position: at() });
  }
  for (const r of g.relationships) {
    out.push({ group: 'edges', data: { id: `r${r.id}`, source: `n${r.startNodeId}`, target: `n${r.endNodeId}`, type: r.type } });
  }
  return out;
}

/** The graph tab's drawing. */
export class GraphView {
  readonly #container: HTMLElement;
  readonly #inspector: HTMLElement;
  readonly #note: HTMLElement;
  #cy: Core | undefined;
  #data: GraphData | undefined;
  #byId = new Map<string, GeodeNode | GeodeRelationship>();

  constructor(container: HTMLElement, inspector: HTMLElement, note: HTMLElement) {
    this.#container = container;
    this.#inspector = inspector;
    this.#note = note;
    // Follow the system theme while the page is open.
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.#cy?.style(styles()));
  }

  /** Draws `g` (the container must be visible: cytoscape measures it). Resolves once laid out. */
  async draw(g: GraphData): Promise<void> {
    this.#data = g;
    this.#inspector.hidden = true;
    delete this.#container.dataset['nodes']; // set again once this drawing is laid out
    delete this.#container.dataset['edges'];
    this.#byId = new Map();
    for (const n of g.nodes) this.#byId.set(`n${n.id}`, n);
    for (const r of g.relationships) this.#byId.set(`r${r.id}`, r);
    const { default: cytoscape } = await import('cytoscape');
    if (this.#data !== g) return; // a newer result arrived while loading
    this.#cy?.destroy();
    const cy = cytoscape({
      container: this.#container,
      elements: elements(g),
      style: styles(),
      minZoom: 0.1,
      maxZoom: 4,
      boxSelectionEnabled: false,
    });
    this.#cy = cy;
    cy.on('tap', (e) => {
      if (e.target === cy) this.#inspector.hidden = true;
      else this.#inspect(String(e.target.id()));
    });
    const count = g.nodes.length + g.missingNodeIds.length;
    // Up to a handful of nodes a circle reads best; more get a force layout (from the circle
    // the elements start on), with more room per node when crowded so captions stay apart.
    const crowded = count > 20;
    const layout = cy.layout(
      count <= 1
        ? { name: 'grid' }
        : count <= SMALL_GRAPH_NODES
          ? { name: 'circle', padding: 24, avoidOverlap: true, radius: Math.max(80, 22 * count) }
          : {
              name: 'cose',
              animate: false,
              randomize: false,
              initialTemp: 200,
              nodeRepulsion: () => (crowded ? 50_000 : 12_000),
              idealEdgeLength: () => (crowded ? 100 : 80),
              nodeOverlap: 20,
              gravity: crowded ? 0.2 : 1,
              componentSpacing: 60,
              padding: 24,
              numIter: count > 150 ? 600 : 1000,
            },
    );
    // Many relationships: their type labels only when one is selected.
    if (g.relationships.length > QUIET_EDGES_FROM) cy.edges().addClass('quiet');
    const done = new Promise<void>((ok) => layout.one('layoutstop', () => ok()));
    layout.run();
    await done;
    cy.fit(undefined, 24);
    if (cy.zoom() > 1.6) {
      cy.zoom(1.6);
      cy.center();
    }
    const omitted = g.nodesOmitted + g.relationshipsOmitted;
    this.#note.hidden = omitted === 0 && g.missingNodeIds.length === 0;
    const parts: string[] = [];
    if (omitted > 0) parts.push(`${plural(g.nodesOmitted, 'node')} and ${plural(g.relationshipsOmitted, 'relationship')} not drawn (limit)`);
    if (g.missingNodeIds.length > 0) parts.push(`${plural(g.missingNodeIds.length, 'endpoint')} not in the result (dashed)`);
    this.#note.textContent = parts.join(' · ');
    this.#container.dataset['nodes'] = String(cy.nodes().length);
    this.#container.dataset['edges'] = String(cy.edges().length);
  }

  /** Re-measures after the container was hidden or resized. */
  resize(): void {
    if (this.#cy === undefined) return;
    this.#cy.resize();
    this.#cy.fit(undefined, 24);
  }

  #inspect(id: string): void {
    const el = this.#byId.get(id);
    if (el === undefined) {
      this.#inspector.hidden = true;
      return;
    }
    const box = this.#inspector;
    box.replaceChildren();
    const title = box.appendChild(document.createElement('h3'));
    if ('labels' in el) {
      title.textContent = `${el.labels.map((l) => ':' + l).join('') || '(no label)'}`;
      title.style.color = labelColour(el.labels[0]);
    } else {
      title.textContent = `[:${el.type}]`;
    }
    const dl = box.appendChild(document.createElement('dl'));
    const add = (k: string, v: string): void => {
      dl.appendChild(document.createElement('dt')).textContent = k;
      dl.appendChild(document.createElement('dd')).textContent = v;
    };
    add('id', String(el.id));
    for (const [k, v] of Object.entries(el.properties)) add(k, formatValue(v));
    box.hidden = false;
  }
}
