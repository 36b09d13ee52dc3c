/**
 * The LDBC sample's manifest: which CSV files the demo serves and how big they are. Shared by the
 * Vite plugin that serves them (Node) and the page that loads them (browser); no imports.
 */

/** URL path (below the app's base) under which the sample files are served. */
export const LDBC_SAMPLE_URL_PATH = 'sample/ldbc/';

/** The manifest's file name inside {@link LDBC_SAMPLE_URL_PATH}. */
export const LDBC_SAMPLE_MANIFEST = 'manifest.json';

/** What `sample/ldbc/manifest.json` holds. */
export interface LdbcSampleManifest {
  /** Whether the data folder was found when the app was served or built. */
  readonly available: boolean;
  /** Human-readable origin of the data (shown in the demo). */
  readonly source: string;
  /** Every CSV file, as a path relative to the folder (`dynamic/person_0_0.csv`), with its size in bytes. */
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
}
