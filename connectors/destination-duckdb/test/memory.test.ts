// DuckDB keeps the blocks of table data it has read or written cached up to its memory limit, so
// without care a long sync's memory grows with the rows it wrote (measured by `npm run bench`,
// (f)). The writer releases that cache after each commit, and the user's limit is back right after.

import { expect, test } from 'vitest';
import { destination } from '../src/index.js';
import { catalogOf, objects, openReader, streamState, tempDatabase, writeContext } from './helpers.js';

const MiB = 1024 * 1024;

test('a commit releases the cached blocks of table data and keeps the configured memory_limit', async () => {
  const path = await tempDatabase();
  const catalog = catalogOf({
    name: 'events',
    syncMode: 'incremental', // rows join the table at each commit (a full refresh stages them until finish)
    properties: { id: { type: 'integer' }, payload: { type: 'string' } },
  });
  const writer = await destination.open({ path, memory_limit: '512MB' }, catalog, writeContext());
  const reader = await openReader(path);
  const cached = async () => {
    const [row] = await reader.rows(
      "SELECT sum(memory_usage_bytes)::BIGINT AS bytes FROM duckdb_memory() WHERE tag = 'BASE_TABLE'",
    );
    return Number(row?.bytes ?? 0);
  };
  const limit = async () => (await reader.rows("SELECT current_setting('memory_limit') AS v"))[0]?.v;
  try {
    const configured = await limit();
    expect(configured).toBe('488.2 MiB');
    // 200,000 rows of 400 characters that barely compress: about 80 MB of table data
    const records = Array.from({ length: 200_000 }, (_, id) => {
      let payload = '';
      for (let k = 0; payload.length < 400; k++)
        payload += ((id * 2_654_435_761 + k * 40_503) >>> 0).toString(36);
      return { id, payload };
    });
    await writer.write(objects('events', records));
    await writer.commit([streamState('events', 0)], 1);
    // reading every value brings the table's blocks into DuckDB's cache
    expect(await reader.rows('SELECT count(DISTINCT payload)::INT AS n FROM events')).toEqual([
      { n: 200_000 },
    ]);
    expect(await cached(), 'the table is cached after a full read').toBeGreaterThan(48 * MiB);

    await writer.write(objects('events', [{ id: -1, payload: 'one more' }]));
    // new states: the commit is done when it returns (one repeating the states held runs in the background)
    await writer.commit([streamState('events', 1)], 2);
    expect(await cached(), 'cached table blocks after the next commit').toBeLessThanOrEqual(4 * MiB);
    expect(await limit(), 'the configured limit is back').toBe(configured);
    await writer.finish();
  } finally {
    reader.close();
    await writer.close();
  }
}, 60_000);
