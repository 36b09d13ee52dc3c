/**
 * LDBC SNB CSV file names → what they hold. Pure: no file access.
 *
 * Layout (see the data set's README): node files are `<entity>_0_0.csv` (`person_0_0.csv`), edge
 * files are `<src>_<relation>_<dst>_0_0.csv` (`person_knows_person_0_0.csv`). Entities become
 * CamelCase labels (`tagclass` → `TagClass`), relations UPPER_SNAKE_CASE types
 * (`hasCreator` → `HAS_CREATOR`).
 */

/** What one CSV file of the layout holds. */
export type LdbcFileKind =
  | { readonly kind: 'nodes'; readonly label: string }
  | { readonly kind: 'edges'; readonly type: string; readonly srcLabel: string; readonly dstLabel: string };

/** Entity names whose CamelCase form cannot be guessed from a lower-case file name. */
const KNOWN_LABELS: Readonly<Record<string, string>> = {
  person: 'Person',
  post: 'Post',
  comment: 'Comment',
  forum: 'Forum',
  tag: 'Tag',
  tagclass: 'TagClass',
  place: 'Place',
  organisation: 'Organisation',
  organization: 'Organisation',
  city: 'City',
  country: 'Country',
  continent: 'Continent',
  company: 'Company',
  university: 'University',
};

/** The label of an LDBC entity name: `person` → `Person`, `tagclass` → `TagClass`, `tag_class` → `TagClass`. */
export function entityLabel(entity: string): string {
  const known = KNOWN_LABELS[entity.toLowerCase()];
  if (known !== undefined) return known;
  return entity
    .split(/[-_\s]+/)
    .filter((part) => part.length > 0)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

/** The relationship type of an LDBC relation name: `hasCreator` → `HAS_CREATOR`, `knows` → `KNOWS`. */
export function relationType(relation: string): string {
  return relation
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toUpperCase();
}

/**
 * What a file of the layout holds, from its base name; undefined for a name that is not an LDBC
 * data file (README, LICENSE, a `.csv` with 2 or more than 3 name parts).
 *
 * The trailing partition numbers (`_0_0`) are optional; the extension must be `.csv`.
 */
export function classifyLdbcFile(fileName: string): LdbcFileKind | undefined {
  const base = fileName.replace(/^.*[\\/]/, '');
  const match = /^(.+?)((?:_\d+)*)\.csv$/i.exec(base);
  if (match === null) return undefined;
  const parts = match[1]!.split('_').filter((part) => part.length > 0);
  if (parts.length === 1) return { kind: 'nodes', label: entityLabel(parts[0]!) };
  if (parts.length === 3) {
    return {
      kind: 'edges',
      type: relationType(parts[1]!),
      srcLabel: entityLabel(parts[0]!),
      dstLabel: entityLabel(parts[2]!),
    };
  }
  return undefined;
}
