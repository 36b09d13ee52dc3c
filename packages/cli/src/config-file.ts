/**
 * `--config <file>`: shard configuration keys from a JSON or YAML file (by extension: `.yaml` /
 * `.yml` are YAML, anything else JSON). Keys are checked where they are used (CONFIG_INVALID
 * naming the key); here only that the file holds one object.
 */
import { readFile } from 'node:fs/promises';
import { GeodeError } from '../../../src/util/errors.ts';

/** Largest configuration file read, bytes. */
export const CONFIG_FILE_BYTES_MAX = 1_048_576;

/** readConfigFile: the object in `path`; CONFIG_INVALID naming the file for anything else. */
export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const text = await readFile(path, 'utf8');
  if (text.length > CONFIG_FILE_BYTES_MAX) throw new GeodeError('CONFIG_INVALID', `${path}: larger than ${CONFIG_FILE_BYTES_MAX} bytes`, { source: path });
  let value: unknown;
  try {
    if (/\.ya?ml$/i.test(path)) {
      const yaml = await import('yaml');
      value = yaml.parse(text, { maxAliasCount: 100 });
    } else {
      value = JSON.parse(text);
    }
  } catch (err) {
    throw new GeodeError('CONFIG_INVALID', `${path}: ${err instanceof Error ? err.message : String(err)}`, { source: path, cause: err });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GeodeError('CONFIG_INVALID', `${path}: must hold one object of configuration keys`, { source: path });
  return value as Record<string, unknown>;
}
