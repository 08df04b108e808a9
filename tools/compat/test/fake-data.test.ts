import { describe, expect, it } from 'vitest';
import { fakeRecords } from '../src/fake-data.js';
import { recordPathsReadBy } from '../src/mock-plan.js';

describe('record paths read by templates', () => {
  it('finds the nested keys templates read from a record, in bracket and dot form, stopping at methods', () => {
    const stream = {
      transformations: [
        {
          type: 'AddFields',
          fields: [{ path: ['country'], value: "{{ record['location']['country']['name'] }}" }],
        },
        { type: 'AddFields', fields: [{ path: ['stage'], value: '{{ record.stage.name }}' }] },
      ],
      record_filter: { condition: "{{ record.get('deleted') is none and record.tags.split(',') }}" },
    };
    expect(recordPathsReadBy(stream)).toEqual([['location', 'country', 'name'], ['stage', 'name'], ['tags']]);
  });

  it('puts every read path into the fake records, keeping values the schema already gave', () => {
    const schema = { type: 'object', properties: { id: { type: 'integer' }, stage: { type: 'string' } } };
    const readPaths = [['location', 'country', 'name'], ['stage', 'name'], ['id']];
    const [record] = fakeRecords({ schema, fixed: {}, recordDate: new Date(0), readPaths }, 'seed', 1);
    expect(record?.location).toEqual({ country: { name: expect.stringMatching(/^name-/) } });
    expect(record?.stage).toEqual({ name: expect.stringMatching(/^name-/) });
    expect(typeof record?.id).toBe('number');
  });
});

describe('fake records', () => {
  it('are never empty, even for a schema without properties', () => {
    const [record] = fakeRecords(
      { schema: { type: 'object', properties: {} }, fixed: {}, recordDate: new Date(0) },
      's',
      1,
    );
    expect(Object.keys(record ?? {})).toEqual(['id', 'name']);
  });
});
