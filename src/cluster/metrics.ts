/**
 * MetricsRegistry: the metric families of one peer, read at scrape time and written as
 * Prometheus text ({@link MetricsRegistry.render}). Works in Node and in browsers.
 *
 * Two kinds of families:
 * - collected: a function called at each scrape returns the samples (a gauge of the Raft term,
 *   a counter the shard host already keeps). Most cluster metrics are these, so nothing is
 *   updated on hot paths.
 * - owned: a {@link Counter} or {@link Gauge} the caller updates.
 *
 * A collector that throws (a closed host, ...) leaves its family out of that scrape and is
 * counted in `metrics_collect_errors_total`: a scrape never fails because of one family.
 *
 * @example
 * ```ts
 * const reg = new MetricsRegistry();
 * registerClusterMetrics(reg, { host, net: peer });
 * registerProcessMetrics(reg);
 * res.end(reg.render()); // Content-Type: PROMETHEUS_CONTENT_TYPE
 * ```
 */
import { assert } from '../util/assert.ts';
import { GeodeError } from '../util/errors.ts';
import { metricFamiliesMax, samplesPerFamilyMax } from './constants.ts';
import { formatFamilies, isMetricName, labelKey, type Labels, type MetricFamily, type MetricType, type Sample } from './prometheus-text.ts';

/** A family whose samples are read at each scrape. */
export interface CollectedFamily {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  /** The samples now: a number for one unlabelled sample, or samples with labels. */
  readonly collect: () => number | Iterable<Sample>;
}

/** A counter the caller increments. */
export interface Counter {
  /** inc: adds `by` (default 1, must be >= 0) to the sample with `labels`. */
  inc(by?: number, labels?: Labels): void;
  /** get: the current value for `labels` (0 when never incremented). */
  get(labels?: Labels): number;
}

/** A gauge the caller sets. */
export interface Gauge {
  set(value: number, labels?: Labels): void;
  /** remove: drops the sample with `labels` (a peer that left). */
  remove(labels?: Labels): void;
  get(labels?: Labels): number | undefined;
}

/** Samples keyed by their label set, bounded by `samplesPerFamilyMax`. */
class SampleTable {
  readonly #rows = new Map<string, { labels: Labels | undefined; value: number }>();
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  row(labels: Labels | undefined): { labels: Labels | undefined; value: number } {
    const key = labelKey(labels);
    let r = this.#rows.get(key);
    if (r === undefined) {
      if (this.#rows.size >= samplesPerFamilyMax) {
        throw new GeodeError('LIMIT_EXCEEDED', `metric ${this.#name} has ${samplesPerFamilyMax} label sets already`, { detail: 'TooManySamples' });
      }
      r = { labels: labels === undefined ? undefined : { ...labels }, value: 0 };
      this.#rows.set(key, r);
    }
    return r;
  }

  peek(labels: Labels | undefined): number | undefined {
    return this.#rows.get(labelKey(labels))?.value;
  }

  remove(labels: Labels | undefined): void {
    this.#rows.delete(labelKey(labels));
  }

  samples(): Sample[] {
    const out: Sample[] = [];
    for (const r of this.#rows.values()) out.push(r.labels === undefined ? { value: r.value } : { labels: r.labels, value: r.value });
    return out;
  }
}

export class MetricsRegistry {
  readonly #families = new Map<string, CollectedFamily>();
  #collectErrors = 0;

  /** register: adds a collected family. Names are unique (asserted: they come from code). */
  register(family: CollectedFamily): void {
    assert(isMetricName(family.name), `invalid metric name '${family.name}'`);
    assert(family.name !== 'metrics_collect_errors_total', 'metrics_collect_errors_total is the registry\'s own');
    assert(!this.#families.has(family.name), `metric '${family.name}' registered twice`);
    assert(this.#families.size < metricFamiliesMax, `more than ${metricFamiliesMax} metric families`);
    this.#families.set(family.name, family);
  }

  /** has: a family of that name is registered. */
  has(name: string): boolean {
    return this.#families.has(name);
  }

  /** counter: a new owned counter family. */
  counter(name: string, help: string): Counter {
    const table = new SampleTable(name);
    this.register({ name, type: 'counter', help, collect: () => table.samples() });
    return {
      inc(by = 1, labels) {
        if (!(by >= 0) || !Number.isFinite(by)) throw new GeodeError('INPUT_INVALID', `counter ${name} can only grow by a finite amount >= 0, got ${by}`);
        table.row(labels).value += by;
      },
      get: (labels) => table.peek(labels) ?? 0,
    };
  }

  /** gauge: a new owned gauge family. */
  gauge(name: string, help: string): Gauge {
    const table = new SampleTable(name);
    this.register({ name, type: 'gauge', help, collect: () => table.samples() });
    return {
      set(value, labels) {
        table.row(labels).value = value;
      },
      remove: (labels) => table.remove(labels),
      get: (labels) => table.peek(labels),
    };
  }

  /** collect: every family's samples now (families whose collector threw are left out and counted). */
  collect(): MetricFamily[] {
    const out: MetricFamily[] = [];
    for (const f of this.#families.values()) {
      let samples: Sample[];
      try {
        const got = f.collect();
        samples = typeof got === 'number' ? [{ value: got }] : [...got];
      } catch {
        this.#collectErrors++;
        continue;
      }
      if (samples.length > samplesPerFamilyMax) samples = samples.slice(0, samplesPerFamilyMax);
      out.push({ name: f.name, type: f.type, help: f.help, samples });
    }
    out.push({
      name: 'metrics_collect_errors_total',
      type: 'counter',
      help: 'Scrapes in which a metric family could not be read (it was left out).',
      samples: [{ value: this.#collectErrors }],
    });
    return out;
  }

  /** render: the Prometheus text of every family (serve it with PROMETHEUS_CONTENT_TYPE). */
  render(): string {
    return formatFamilies(this.collect());
  }
}
