import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configure, discoverAndRead, read, tempDir, writeFileAt, writeParquet } from './helpers.js';

let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await dir.remove();
});

const MTIME = '2024-03-01T12:00:00.000Z';

describe('reading each format', () => {
  it('converts CSV cells to the discovered types and adds where each record came from', async () => {
    const path = join(dir.path, 'people.csv');
    await writeFileAt(
      path,
      'id,score,active,joined,name,zip\r\n1,10,true,2024-01-01 10:00,"Ann, Jr",007\r\n2,,False,2024-01-02T00:00:00+01:00,"say ""hi""",\r\n',
      MTIME,
    );
    const { records } = await discoverAndRead({
      streams: [{ name: 'people', glob: '*.csv' }],
      base_path: dir.path,
    });
    expect(records).toEqual([
      {
        id: 1,
        score: 10,
        active: true,
        joined: '2024-01-01T10:00:00Z',
        name: 'Ann, Jr',
        zip: '007',
        _source_file: path,
        _source_file_mtime: MTIME,
      },
      {
        id: 2,
        score: null,
        active: false,
        joined: '2024-01-02T00:00:00+01:00',
        name: 'say "hi"',
        zip: null,
        _source_file: path,
        _source_file_mtime: MTIME,
      },
    ]);
  });

  it('reads CSV with another delimiter and without a header row', async () => {
    await writeFileAt(join(dir.path, 'x.csv'), '1;a\n2;b\n');
    const { records, catalog } = await discoverAndRead({
      streams: [{ name: 'x', glob: 'x.csv' }],
      base_path: dir.path,
      csv: { delimiter: ';', header: false },
    });
    expect(Object.keys(catalog.streams[0]!.json_schema.properties as object)).toEqual([
      'column_1',
      'column_2',
      '_source_file',
      '_source_file_mtime',
    ]);
    expect(records.map((r) => [r.column_1, r.column_2])).toEqual([
      [1, 'a'],
      [2, 'b'],
    ]);
  });

  it('passes JSONL objects on as they are, skipping blank lines', async () => {
    const path = join(dir.path, 'e.jsonl');
    await writeFileAt(
      path,
      '{"id":1,"nested":{"a":[1,2]},"n":"007"}\n\n  \n{"id":2,"nested":null,"n":7}',
      MTIME,
    );
    const { records } = await discoverAndRead({
      streams: [{ name: 'e', glob: '*.jsonl' }],
      base_path: dir.path,
    });
    expect(records).toEqual([
      { id: 1, nested: { a: [1, 2] }, n: '007', _source_file: path, _source_file_mtime: MTIME },
      { id: 2, nested: null, n: 7, _source_file: path, _source_file_mtime: MTIME },
    ]);
  });

  it('reads Parquet with 64-bit integers as numbers (strings when too large), timestamps as ISO, nested values as JSON', async () => {
    const path = join(dir.path, 's.parquet');
    await writeParquet(
      path,
      `SELECT i::BIGINT AS id, 9007199254740993::BIGINT AS big, i * 1.5 AS amount,
              TIMESTAMP '2024-01-01' + INTERVAL (i) HOUR AS at, [i, i + 1] AS pair, {'k': 'v' || i} AS info,
              NULL::VARCHAR AS nothing
       FROM range(3) t(i)`,
      MTIME,
    );
    const { records } = await discoverAndRead({
      streams: [{ name: 's', glob: '*.parquet' }],
      base_path: dir.path,
    });
    expect(records).toEqual(
      [0, 1, 2].map((i) => ({
        id: i,
        big: '9007199254740993',
        amount: i * 1.5,
        at: `2024-01-01T0${i}:00:00.000Z`,
        pair: [i, i + 1],
        info: { k: `v${i}` },
        nothing: null,
        _source_file: path,
        _source_file_mtime: MTIME,
      })),
    );
  });

  it.each(['uncompressed', 'snappy', 'gzip', 'brotli'])(
    'reads Parquet compressed with %s',
    async (compression) => {
      await writeParquet(
        join(dir.path, 'z.parquet'),
        "SELECT i AS id, 'row ' || i AS name FROM range(100) t(i)",
        undefined,
        compression,
      );
      const { records } = await discoverAndRead({
        streams: [{ name: 'z', glob: '*.parquet' }],
        base_path: dir.path,
      });
      expect(records.map((r) => [r.id, r.name])).toEqual(
        Array.from({ length: 100 }, (_, i) => [i, `row ${i}`]),
      );
    },
  );

  it('streams large files in batches of at most 5000 records', async () => {
    const rows = Array.from({ length: 12_001 }, (_, i) => `${i},row ${i}`);
    await writeFileAt(join(dir.path, 'big.csv'), `id,name\n${rows.join('\n')}\n`);
    await writeFileAt(join(dir.path, 'big.jsonl'), rows.map((_, i) => JSON.stringify({ id: i })).join('\n'));
    await writeParquet(join(dir.path, 'big.parquet'), 'SELECT i AS id FROM range(12001) t(i)');
    for (const ext of ['csv', 'jsonl', 'parquet']) {
      const { batches, records } = await discoverAndRead({
        streams: [{ name: ext, glob: `big.${ext}` }],
        base_path: dir.path,
      });
      expect(batches.map((b) => b.length)).toEqual([5000, 5000, 2001]);
      expect(records.map((r) => r.id)).toEqual(rows.map((_, i) => i));
    }
  });

  it('reads files oldest first, then by path, and only those the glob matches', async () => {
    await writeFileAt(join(dir.path, 'data', 'b.csv'), 'id\n1\n', '2024-01-01T00:00:00Z');
    await writeFileAt(join(dir.path, 'data', 'a.csv'), 'id\n2\n', '2024-01-02T00:00:00Z');
    await writeFileAt(join(dir.path, 'data', 'c.csv'), 'id\n3\n', '2024-01-02T00:00:00Z');
    await writeFileAt(join(dir.path, 'data', 'deeper', 'd.csv'), 'id\n4\n', '2024-01-01T00:00:00Z');
    await writeFileAt(join(dir.path, 'other.csv'), 'id\n5\n');
    const flat = await discoverAndRead({ streams: [{ name: 'f', glob: 'data/*.csv' }], base_path: dir.path });
    expect(flat.records.map((r) => r.id)).toEqual([1, 2, 3]);
    const deep = await discoverAndRead({
      streams: [{ name: 'f', glob: 'data/**/*.csv' }],
      base_path: dir.path,
    });
    expect(deep.records.map((r) => r.id)).toEqual([1, 4, 2, 3]);
  });

  it('reads a stream whose glob matches nothing as empty, not as an error', async () => {
    const result = await discoverAndRead({
      streams: [{ name: 'none', glob: 'none/*.csv' }],
      base_path: dir.path,
    });
    expect(result.records).toEqual([]);
    const statuses = result.messages.flatMap((m) =>
      m.type === 'TRACE' && m.trace.stream_status ? [m.trace.stream_status.status] : [],
    );
    expect(statuses).toEqual(['STARTED', 'COMPLETE']);
  });
});

describe('errors name the file and line', () => {
  it('a CSV row with the wrong number of fields', async () => {
    const path = join(dir.path, 'bad.csv');
    await writeFileAt(path, 'a,b\n1,2\n3\n');
    await expect(
      discoverAndRead({ streams: [{ name: 'x', glob: '*.csv' }], base_path: dir.path }),
    ).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringMatching(new RegExp(`${path}.*line 3`)),
    });
  });

  it('an unterminated CSV quote', async () => {
    const path = join(dir.path, 'bad.csv');
    await writeFileAt(path, 'a,b\n1,"open\n');
    await expect(
      discoverAndRead({ streams: [{ name: 'x', glob: '*.csv' }], base_path: dir.path }),
    ).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining(path),
    });
  });

  it('a CSV value that does not fit the column type in the catalog', async () => {
    const path = join(dir.path, 'n.csv');
    await writeFileAt(path, 'n,s\n1,"multi\nline"\n2,x\nthree,y\n');
    const catalog = {
      streams: [
        {
          name: 'n',
          json_schema: { properties: { n: { type: ['null', 'integer'] } } },
          supported_sync_modes: [],
        },
      ],
    };
    const config = { streams: [{ name: 'n', glob: 'n.csv' }], base_path: dir.path };
    await expect(read(config, configure(catalog as never))).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringMatching(
        new RegExp(`${path}" line 5, column "n": "three" is not an integer`),
      ),
    });
  });

  it('a line of JSONL that is not JSON, or not an object', async () => {
    const path = join(dir.path, 'bad.jsonl');
    await writeFileAt(path, '{"id":1}\n{"id":\n');
    await expect(
      discoverAndRead({ streams: [{ name: 'x', glob: '*.jsonl' }], base_path: dir.path }),
    ).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining(`"${path}" line 2 is not valid JSON`),
    });
    await writeFileAt(path, '{"id":1}\n\n[1,2]\n');
    await expect(
      discoverAndRead({ streams: [{ name: 'x', glob: '*.jsonl' }], base_path: dir.path }),
    ).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining(`"${path}" line 3 holds an array`),
    });
  });

  it('a file that is not Parquet', async () => {
    const path = join(dir.path, 'fake.parquet');
    await writeFileAt(path, 'not parquet at all');
    await expect(
      discoverAndRead({ streams: [{ name: 'x', glob: '*.parquet' }], base_path: dir.path }),
    ).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining(`"${path}" could not be read as Parquet`),
    });
  });

  it.skipIf(process.getuid?.() === 0)('a file without read permission', async () => {
    const path = join(dir.path, 'secret.csv');
    await writeFileAt(path, 'id\n1\n');
    await chmod(path, 0o000);
    await expect(
      discoverAndRead({ streams: [{ name: 'x', glob: '*.csv' }], base_path: dir.path }),
    ).rejects.toMatchObject({
      failureType: 'config_error',
      userMessage: expect.stringContaining(`"${path}" cannot be read: permission denied`),
    });
  });

  it('a failed stream reports INCOMPLETE and an error trace naming it', async () => {
    await writeFileAt(join(dir.path, 'bad.jsonl'), 'oops\n');
    const config = { streams: [{ name: 'x', glob: '*.jsonl' }], base_path: dir.path };
    const catalog = { streams: [{ name: 'x', json_schema: {}, supported_sync_modes: [] }] };
    const seen: string[] = [];
    const { source } = await import('../src/index.js');
    const run = async () => {
      for await (const output of source.read(config, configure(catalog as never), [], {
        signal: new AbortController().signal,
        logger: { debug() {}, info() {}, warn() {}, error() {} },
      })) {
        if (
          output.kind === 'message' &&
          output.message.type === 'TRACE' &&
          output.message.trace.type !== 'ESTIMATE'
        ) {
          const t = output.message.trace;
          seen.push(
            t.stream_status ? t.stream_status.status : `${t.type}:${t.error?.stream_descriptor?.name ?? ''}`,
          );
        }
      }
    };
    await expect(run()).rejects.toMatchObject({ failureType: 'config_error', stream: { name: 'x' } });
    expect(seen).toEqual(['STARTED', 'INCOMPLETE', 'ERROR:x']);
  });
});
