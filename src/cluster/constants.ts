/**
 * Limits and defaults of the cluster layer's procedures and metrics (listed in docs/LIMITS.md
 * terms: each one bounds something a peer or a scrape could otherwise grow without end).
 */
import { assert } from '../util/assert.ts';

/** Metric families one registry holds. */
export const metricFamiliesMax = 256;
/** Samples one family may yield in one scrape (per replica / per peer labels stay far below). */
export const samplesPerFamilyMax = 4_096;
/** Labels on one sample. */
export const labelsPerSampleMax = 8;
/** Characters of a label value (longer values are cut, never refused: a scrape must not fail). */
export const labelValueCharsMax = 256;
/** Characters of a family's HELP text. */
export const helpCharsMax = 512;
/** Rows `db.cluster.status()` returns at most (peers in one group plus connected peers). */
export const statusRowsMax = 1_024;
/** The Content-Type of the Prometheus text exposition format this layer writes. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

assert(samplesPerFamilyMax >= statusRowsMax, `samplesPerFamilyMax (${samplesPerFamilyMax}) must cover a per-peer family (${statusRowsMax} peers)`);
