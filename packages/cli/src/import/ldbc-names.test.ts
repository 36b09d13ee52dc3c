import { describe, expect, it } from 'vitest';
import { classifyLdbcFile, entityLabel, relationType } from './ldbc-names.ts';

describe('LDBC file names', () => {
  it('maps every LDBC entity to its CamelCase label', () => {
    expect(['person', 'post', 'comment', 'forum', 'tag', 'tagclass', 'place', 'organisation'].map(entityLabel)).toEqual([
      'Person',
      'Post',
      'Comment',
      'Forum',
      'Tag',
      'TagClass',
      'Place',
      'Organisation',
    ]);
    expect(entityLabel('tag_class')).toBe('TagClass');
    expect(entityLabel('widget')).toBe('Widget');
  });

  it('maps camelCase relations to UPPER_SNAKE_CASE types', () => {
    expect(relationType('knows')).toBe('KNOWS');
    expect(relationType('hasCreator')).toBe('HAS_CREATOR');
    expect(relationType('isLocatedIn')).toBe('IS_LOCATED_IN');
    expect(relationType('replyOf')).toBe('REPLY_OF');
    expect(relationType('isSubclassOf')).toBe('IS_SUBCLASS_OF');
    expect(relationType('containerOf')).toBe('CONTAINER_OF');
  });

  it('classifies a node file by its single entity name', () => {
    expect(classifyLdbcFile('person_0_0.csv')).toEqual({ kind: 'nodes', label: 'Person' });
    expect(classifyLdbcFile('static/tagclass_0_0.csv')).toEqual({ kind: 'nodes', label: 'TagClass' });
    expect(classifyLdbcFile('place.csv')).toEqual({ kind: 'nodes', label: 'Place' });
  });

  it('classifies an edge file as type between the two labels of its name', () => {
    expect(classifyLdbcFile('person_knows_person_0_0.csv')).toEqual({
      kind: 'edges',
      type: 'KNOWS',
      srcLabel: 'Person',
      dstLabel: 'Person',
    });
    expect(classifyLdbcFile('/x/dynamic/comment_hasCreator_person_0_0.csv')).toEqual({
      kind: 'edges',
      type: 'HAS_CREATOR',
      srcLabel: 'Comment',
      dstLabel: 'Person',
    });
    expect(classifyLdbcFile('tag_hasType_tagclass_0_0.csv')).toEqual({
      kind: 'edges',
      type: 'HAS_TYPE',
      srcLabel: 'Tag',
      dstLabel: 'TagClass',
    });
  });

  it('ignores files that are not LDBC data files', () => {
    expect(classifyLdbcFile('README.md')).toBeUndefined();
    expect(classifyLdbcFile('LICENSE')).toBeUndefined();
    expect(classifyLdbcFile('a_b_0_0.csv')).toBeUndefined();
    expect(classifyLdbcFile('a_b_c_d_0_0.csv')).toBeUndefined();
  });
});
