// Every sync mode for every SQL source × destination pair, through the CLI as users run it. One
// helper drives every pair: four copies of the same table (one per mode) are synced, the source is
// changed (a row inserted with the boundary cursor value, a later row, an update, a delete), synced
// again, and each destination table is compared with what its mode promises.

import { afterEach, describe, expect, it } from 'vitest';
import { conveyor, tempProject } from './cli.js';
import { type EndKind, openEnd, projectYaml, type SqlEnd } from './sql-ends.js';

const SOURCES: EndKind[] = ['postgres', 'mysql', 'sqlite'];
const DESTINATIONS: EndKind[] = ['postgres', 'mysql', 'sqlite', 'duckdb'];

const STREAMS = [
  { name: 'fr_overwrite', sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' },
  { name: 'fr_append', sync_mode: 'full_refresh', destination_sync_mode: 'append' },
  {
    name: 'inc_append',
    sync_mode: 'incremental',
    destination_sync_mode: 'append',
    cursor_field: 'updated_at',
  },
  {
    name: 'inc_dedup',
    sync_mode: 'incremental',
    destination_sync_mode: 'append_dedup',
    cursor_field: 'updated_at',
  },
];

/** Row i's cursor, in minutes: rows 19 and 20 share the largest value of the first sync. */
const minuteOf = (id: number) => Math.min(id, 19);

async function seed(source: SqlEnd, table: string): Promise<void> {
  const { id, text, double, timestamp } = source.types;
  const t = source.quote(table);
  await source.exec(
    `CREATE TABLE ${t} (id ${id} PRIMARY KEY, name ${text}, amount ${double}, updated_at ${timestamp})`,
  );
  for (let i = 1; i <= 20; i++) {
    await source.exec(
      `INSERT INTO ${t} (id, name, amount, updated_at) VALUES (${i}, 'item ${i}', ${i * 1.5}, '${source.at(minuteOf(i))}')`,
    );
  }
}

/** Between the syncs: a row at the boundary cursor, a later row, an update, a delete. */
async function change(source: SqlEnd, table: string): Promise<void> {
  const t = source.quote(table);
  await source.exec(
    `INSERT INTO ${t} (id, name, amount, updated_at) VALUES (21, 'item 21', 31.5, '${source.at(19)}')`,
  );
  await source.exec(
    `INSERT INTO ${t} (id, name, amount, updated_at) VALUES (22, 'item 22', 33, '${source.at(30)}')`,
  );
  await source.exec(`UPDATE ${t} SET name = 'changed', updated_at = '${source.at(31)}' WHERE id = 5`);
  await source.exec(`DELETE FROM ${t} WHERE id = 3`);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const sorted = (ids: number[]) => [...ids].sort((a, b) => a - b);

/** What each mode promises after the two syncs: ids (with repeats) and the name of row 5. */
const EXPECTED: Record<string, { ids: number[]; name5: string[] }> = {
  // the table is the source now
  fr_overwrite: { ids: [...range(1, 22)].filter((i) => i !== 3), name5: ['changed'] },
  // both reads, whole
  fr_append: {
    ids: sorted([...range(1, 20), ...range(1, 22).filter((i) => i !== 3)]),
    name5: ['changed', 'item 5'],
  },
  // the first read, then rows with a cursor at or after the boundary: 19 and 20 again (the
  // boundary, inclusive), 21 (same cursor, inserted later: never lost), 22 and the updated 5
  inc_append: { ids: sorted([...range(1, 20), 19, 20, 21, 22, 5]), name5: ['changed', 'item 5'] },
  // one row per key, the latest; a delete is not seen by a cursor
  inc_dedup: { ids: range(1, 22), name5: ['changed'] },
};

const opened: SqlEnd[] = [];
afterEach(async () => {
  for (const end of opened.splice(0)) await end.close();
});

async function tableRows(destination: SqlEnd, table: string): Promise<{ id: number; name: string }[]> {
  const rows = await destination.rows(`SELECT id, name FROM ${destination.quote(table)}`);
  return rows.map((r) => ({ id: Number(r.id), name: String(r.name) }));
}

describe('every sync mode for every SQL source × destination pair', () => {
  const pairs = SOURCES.flatMap((s) => DESTINATIONS.map((d) => [s, d] as const));
  it.each(pairs)('%s → %s', async (sourceKind, destinationKind) => {
    const dir = tempProject();
    const source = await openEnd(sourceKind, dir, 'source');
    opened.push(source);
    const destination = await openEnd(destinationKind, dir, 'destination');
    opened.push(destination);
    for (const s of STREAMS) await seed(source, s.name);
    const project = tempProject(projectYaml(source, destination, STREAMS));

    const first = conveyor(['sync'], { cwd: project });
    expect(first.code, first.stderr).toBe(0);
    for (const s of STREAMS) await change(source, s.name);
    const second = conveyor(['sync'], { cwd: project });
    expect(second.code, second.stderr).toBe(0);

    for (const s of STREAMS) {
      const rows = await tableRows(destination, s.name);
      const expected = EXPECTED[s.name]!;
      expect(sorted(rows.map((r) => r.id)), `${s.name}: ids`).toEqual(expected.ids);
      expect(
        rows
          .filter((r) => r.id === 5)
          .map((r) => r.name)
          .sort(),
        `${s.name}: row 5`,
      ).toEqual(expected.name5);
    }
  });
});

describe('a destination that cannot be used', () => {
  it('fails the sync with the cause, exit 2 (configuration), recorded in the run history', async () => {
    const dir = tempProject();
    const source = await openEnd('sqlite', dir, 'source');
    opened.push(source);
    await seed(source, 'items');
    const destination = await openEnd('postgres', dir, 'destination');
    opened.push(destination);
    const missing = { ...destination, config: { ...destination.config, database: 'conveyor_no_such_db' } };
    const project = tempProject(
      projectYaml(source, missing, [
        { name: 'items', sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' },
      ]),
    );
    const r = conveyor(['sync'], { cwd: project });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/"conveyor_no_such_db" does not exist/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const runs = JSON.parse(conveyor(['runs', '--json'], { cwd: project }).stdout) as {
      status: string;
      failureReason: string;
    }[];
    expect(runs[0]).toMatchObject({ status: 'failed' });
    expect(runs[0]?.failureReason).toMatch(/conveyor_no_such_db/);
  });
});

describe('a source that cannot be reached', () => {
  it('is a failed run in the history, and the other connections still sync', async () => {
    const dir = tempProject();
    const source = await openEnd('sqlite', dir, 'source');
    opened.push(source);
    await seed(source, 'items');
    const project = tempProject(`sources:
  down: { connector: postgres, config: { host: 127.0.0.1, port: 1, database: x, username: postgres, password: hidden-pw-123, ssl_mode: disable } }
  up: { connector: sqlite, config: ${JSON.stringify(source.config)} }
destinations:
  dk: { connector: duckdb, config: { path: ./out.duckdb } }
connections:
  first: { source: down, destination: dk }
  second: { source: up, destination: dk }
`);
    const r = conveyor(['sync'], { cwd: project });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Could not reach the PostgreSQL server 127\.0\.0\.1:1/);
    expect(r.stdout).toMatch(/Sync second succeeded/);
    const runs = JSON.parse(conveyor(['runs', '--json'], { cwd: project }).stdout) as {
      connection: string;
      status: string;
      failureReason: string;
    }[];
    const first = runs.find((run) => run.connection === 'first');
    expect(first).toMatchObject({ status: 'failed' });
    expect(first?.failureReason).toMatch(/Could not reach/);
    expect(JSON.stringify(runs)).not.toContain('hidden-pw-123');
  });
});
