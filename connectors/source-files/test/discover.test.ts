import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { source } from '../src/index.js';
import { ctx, tempDir, writeFileAt, writeParquet } from './helpers.js';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

function propertiesOf(catalog: Awaited<ReturnType<typeof source.discover>>, stream = 0) {
  return catalog.streams[stream]!.json_schema.properties as Record<string, unknown>;
}

const nullable = (type: string) => ({ type: ['null', type] });
const dateTime = { type: ['null', 'string'], format: 'date-time' };

describe('discover', () => {
  it('infers CSV column types from their text, nullable, widening mixed columns', async () => {
    await writeFileAt(
      join(dir.path, 'people.csv'),
      [
        'id,score,active,joined,name,zip,mixed,ratio,empty',
        '1,10,true,2024-01-01T10:00:00Z,Ann,007,1,1,',
        '2,11.5,FALSE,2024-01-02 09:30,Bob,12345,x,2.5,',
        '3,,,,,,2024-01-03T00:00:00Z,3,',
      ].join('\n'),
    );
    const catalog = await source.discover(
      { streams: [{ name: 'people', glob: '*.csv' }], base_path: dir.path },
      ctx,
    );
    expect(propertiesOf(catalog)).toEqual({
      id: nullable('integer'),
      score: nullable('number'),
      active: nullable('boolean'),
      joined: dateTime,
      name: nullable('string'),
      zip: nullable('string'),
      mixed: nullable('string'),
      ratio: nullable('number'),
      empty: nullable('string'),
      _source_file: { type: 'string' },
      _source_file_mtime: { type: 'string', format: 'date-time' },
    });
    expect(catalog.streams[0]).toMatchObject({
      name: 'people',
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['_source_file_mtime'],
    });
  });

  it('infers JSONL types from JSON values and lists the types of a column that mixes them', async () => {
    await writeFileAt(
      join(dir.path, 'events.jsonl'),
      [
        '{"id":1,"at":"2024-01-01T00:00:00Z","payload":{"a":1},"tags":["x"],"value":1,"label":"a"}',
        '{"id":2,"at":"2024-01-01T00:00:01.5+02:00","payload":null,"tags":[],"value":"n/a","label":null}',
      ].join('\n'),
    );
    const catalog = await source.discover(
      { streams: [{ name: 'events', glob: 'events.jsonl' }], base_path: dir.path },
      ctx,
    );
    expect(propertiesOf(catalog)).toMatchObject({
      id: nullable('integer'),
      at: dateTime,
      payload: nullable('object'),
      tags: nullable('array'),
      value: { type: ['null', 'integer', 'string'] },
      label: nullable('string'),
    });
  });

  it('infers Parquet column types from the decoded values', async () => {
    await writeParquet(
      join(dir.path, 'sales.parquet'),
      `SELECT i::BIGINT AS id, i * 0.5 AS amount, i % 2 = 0 AS even, 'n' || i AS name,
              TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS sold_at FROM range(10) t(i)`,
    );
    const catalog = await source.discover(
      { streams: [{ name: 'sales', glob: '*.parquet' }], base_path: dir.path },
      ctx,
    );
    expect(propertiesOf(catalog)).toMatchObject({
      id: nullable('integer'),
      amount: nullable('number'),
      even: nullable('boolean'),
      name: nullable('string'),
      sold_at: dateTime,
    });
  });

  it('samples only schema_sample_rows rows', async () => {
    await writeFileAt(join(dir.path, 'late.csv'), ['n', '1', '2', '3', 'three'].join('\n'));
    const config = { streams: [{ name: 'late', glob: 'late.csv' }], base_path: dir.path };
    expect(propertiesOf(await source.discover({ ...config, schema_sample_rows: 3 }, ctx)).n).toEqual(
      nullable('integer'),
    );
    expect(propertiesOf(await source.discover(config, ctx)).n).toEqual(nullable('string'));
  });

  it('declares the configured primary key, and rejects one naming a missing column', async () => {
    await writeFileAt(join(dir.path, 'a.csv'), 'id,name\n1,x\n');
    const ok = await source.discover(
      { streams: [{ name: 'a', glob: 'a.csv', primary_key: ['id'] }], base_path: dir.path },
      ctx,
    );
    expect(ok.streams[0]!.source_defined_primary_key).toEqual([['id']]);
    await expect(
      source.discover(
        { streams: [{ name: 'a', glob: 'a.csv', primary_key: ['key'] }], base_path: dir.path },
        ctx,
      ),
    ).rejects.toMatchObject({ failureType: 'config_error', userMessage: expect.stringContaining('"key"') });
  });

  it('describes a stream whose glob matches nothing with only the source file columns', async () => {
    const catalog = await source.discover(
      { streams: [{ name: 'none', glob: 'nothing/*.csv' }], base_path: dir.path },
      ctx,
    );
    expect(Object.keys(propertiesOf(catalog))).toEqual(['_source_file', '_source_file_mtime']);
  });
});

describe('check', () => {
  it('fails naming the glob that matches no files', async () => {
    await writeFileAt(join(dir.path, 'a.csv'), 'id\n1\n');
    const status = await source.check(
      {
        streams: [
          { name: 'a', glob: 'a.csv' },
          { name: 'b', glob: 'missing/**/*.csv' },
        ],
        base_path: dir.path,
      },
      ctx,
    );
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain('"missing/**/*.csv"');
    expect(status.message).not.toContain('"a.csv"');
  });

  it('succeeds when every glob matches a readable file', async () => {
    await writeFileAt(join(dir.path, 'a.csv'), 'id\n1\n');
    await writeFileAt(join(dir.path, 'b.jsonl'), '{"id":1}\n');
    const status = await source.check(
      {
        streams: [
          { name: 'a', glob: 'a.csv' },
          { name: 'b', glob: join(dir.path, '*.jsonl') },
        ],
        base_path: dir.path,
      },
      ctx,
    );
    expect(status).toEqual({ status: 'SUCCEEDED' });
  });

  it('fails naming the file when the first file does not parse', async () => {
    await writeFileAt(join(dir.path, 'bad.jsonl'), '{"id":1\n');
    const status = await source.check(
      { streams: [{ name: 'b', glob: '*.jsonl' }], base_path: dir.path },
      ctx,
    );
    expect(status.status).toBe('FAILED');
    expect(status.message).toContain(join(dir.path, 'bad.jsonl'));
  });

  it('fails for duplicate stream names and an extension without a format', async () => {
    await writeFileAt(join(dir.path, 'a.txt'), 'id\n1\n');
    const duplicate = await source.check(
      {
        streams: [
          { name: 'a', glob: '*.csv' },
          { name: 'a', glob: '*.jsonl' },
        ],
        base_path: dir.path,
      },
      ctx,
    );
    expect(duplicate).toMatchObject({ status: 'FAILED', message: expect.stringContaining('"a"') });
    const noFormat = await source.check(
      { streams: [{ name: 't', glob: '*.txt' }], base_path: dir.path },
      ctx,
    );
    expect(noFormat).toMatchObject({ status: 'FAILED', message: expect.stringContaining('"format"') });
    const withFormat = await source.check(
      { streams: [{ name: 't', glob: '*.txt', format: 'csv' }], base_path: dir.path },
      ctx,
    );
    expect(withFormat).toEqual({ status: 'SUCCEEDED' });
  });
});
