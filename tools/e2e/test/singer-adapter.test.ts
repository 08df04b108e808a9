// The Singer adapter, both ways, through the CLI: a scripted tap (fixtures/singer-tap.py) into DuckDB
// and Conveyor's faker into a scripted target (fixtures/singer-target.py). They exercise what real
// taps do only sometimes: a second SCHEMA mid-stream, a crash after some bookmarks, a target that
// dies before echoing a state. Real packages from PyPI are in ecosystems.test.ts.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conveyor, query, ROOT, tempProject } from './cli.js';

const TAP = join(ROOT, 'tools/e2e/test/fixtures/singer-tap.py');
const TARGET = join(ROOT, 'tools/e2e/test/fixtures/singer-target.py');
const TOKEN = 'tok-SeCrEt-4711';

function tapProject(config: string, mode = 'append_dedup'): string {
  return `
sources:
  tap: { connector: "singer:${TAP}", config: ${config} }
destinations:
  db: { connector: duckdb, config: { path: ./w.duckdb } }
connections:
  c:
    source: tap
    destination: db
    checkpoint: { records: 10, seconds: 0 }
    streams:
      - { name: items, sync_mode: incremental, destination_sync_mode: ${mode} }
`;
}

async function items(dir: string) {
  const [row] = await query(
    join(dir, 'w.duckdb'),
    'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, max(id)::INT AS max_id FROM items',
  );
  return row;
}

function inputs(dir: string): { catalog: { streams: Record<string, unknown>[] }; state: unknown } {
  return JSON.parse(readFileSync(join(dir, 'inputs.json'), 'utf8'));
}

describe('a Singer tap as a source', () => {
  it('discovers streams with keys and cursors from the Singer catalog', () => {
    const dir = tempProject();
    const r = conveyor(['discover', `singer:${TAP}`, '--config', JSON.stringify({ api_token: TOKEN })], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    const catalog = JSON.parse(r.stdout.trim().split('\n').at(-1)!).catalog;
    const byName = Object.fromEntries(catalog.streams.map((s: { name: string }) => [s.name, s]));
    expect(byName.items).toMatchObject({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['id'],
      source_defined_primary_key: [['id']],
    });
    expect(byName.unused.supported_sync_modes).toEqual(['full_refresh']);
  });

  it('keeps bookmarks across runs, selects only the configured streams, and grows the table on a new SCHEMA', async () => {
    const dir = tempProject(
      tapProject(`{ count: 40, grow: true, api_token: "${TOKEN}", inputs_to: ./inputs.json }`),
    );
    const first = conveyor(['--debug', 'sync'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(await items(dir)).toMatchObject({ n: 40, ids: 40, max_id: 40 });
    // the second SCHEMA added `colour` mid-sync: rows after it carry the value, rows before are NULL
    const [colours] = await query(
      join(dir, 'w.duckdb'),
      "SELECT count(*) FILTER (colour = 'blue')::INT AS blue, count(*) FILTER (colour IS NULL)::INT AS none FROM items",
    );
    expect(colours).toEqual({ blue: 20, none: 20 });
    expect(first.stderr).toContain('new properties (colour)');
    // the tap printed its token on stderr; --debug shows connector logs, masked
    expect(first.stderr).toContain('connecting with token ****');
    expect(first.stdout + first.stderr).not.toContain(TOKEN);

    const selected = inputs(dir).catalog.streams.map((s) => [
      s.tap_stream_id,
      (s.metadata as { breadcrumb: string[]; metadata: Record<string, unknown> }[]).find(
        (m) => m.breadcrumb.length === 0,
      )?.metadata,
    ]);
    expect(selected).toEqual([
      [
        'items',
        expect.objectContaining({
          selected: true,
          'replication-method': 'INCREMENTAL',
          'replication-key': 'id',
        }),
      ],
      ['unused', expect.objectContaining({ selected: false })],
    ]);

    const second = conveyor(['sync'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(inputs(dir).state).toEqual({ bookmarks: { items: { id: 40 } } });
    expect(await items(dir)).toMatchObject({ n: 80, ids: 80, max_id: 80 });
  });

  it('records of a stream nobody selected are skipped with a warning, not an error', async () => {
    const dir = tempProject(tapProject('{ count: 5, ignore_selection: true }'));
    const r = conveyor(['sync'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'sent records for stream "unused", which is not in the configured catalog; they are skipped',
    );
    expect(await items(dir)).toMatchObject({ n: 5 });
  });

  it('a tap that crashes keeps the bookmarks committed before the crash, and says why it failed', async () => {
    const dir = tempProject(tapProject('{ count: 40, fail_at: 25, inputs_to: ./inputs.json }', 'append'));
    const failed = conveyor(['sync'], { cwd: dir });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain('RuntimeError: the API went away at item 25');
    expect(failed.stderr).not.toMatch(/^\s+at .*\.js:\d+/m); // no JavaScript stack trace
    // rows up to the last bookmark (20) are committed; 21-25 were never covered by a state
    expect(await items(dir)).toMatchObject({ n: 20, max_id: 20 });

    writeFileSync(join(dir, 'conveyor.yml'), tapProject('{ count: 40, inputs_to: ./inputs.json }', 'append'));
    const again = conveyor(['sync'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(inputs(dir).state).toEqual({ bookmarks: { items: { id: 20 } } });
    expect(await items(dir)).toMatchObject({ n: 60, ids: 60, max_id: 60 });
  });
});

function targetProject(extra: string, mode = 'incremental, destination_sync_mode: append'): string {
  return `
sources:
  fake: { connector: faker, config: { count: 500, seed: 1, records_per_batch: 50 } }
destinations:
  target: { connector: "singer:${TARGET}", config: { folder: ./out${extra} } }
connections:
  c:
    source: fake
    destination: target
    checkpoint: { records: 50, seconds: 0 }
    streams:
      - { name: users, sync_mode: ${mode} }
`;
}

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : [];
}

describe('a Singer target as a destination', () => {
  it('gets SCHEMA, RECORD and STATE messages, and a state counts only once the target echoes it', () => {
    const dir = tempProject(targetProject(''));
    const first = conveyor(['sync'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const users = lines(join(dir, 'out/users.jsonl')).map((l) => JSON.parse(l));
    expect(users).toHaveLength(500);
    expect(new Set(users.map((u) => u.id)).size).toBe(500);
    const kinds = lines(join(dir, 'out/messages.log'));
    expect(kinds[0]).toBe('SCHEMA');
    expect(kinds.filter((k) => k === 'STATE').length).toBeGreaterThan(1);

    const second = conveyor(['sync'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(lines(join(dir, 'out/users.jsonl'))).toHaveLength(500); // nothing new: the state was committed
  });

  it('an overwrite stream is sent as a new version: each record tagged, the version activated at the end', () => {
    const dir = tempProject(targetProject('', 'full_refresh, destination_sync_mode: overwrite'));
    const r = conveyor(['sync'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    // the version is the stream's generation: 1 on the first sync, 2 on the next
    const kinds = lines(join(dir, 'out/messages.log'));
    expect(kinds.slice(0, 3)).toEqual(['SCHEMA', 'ACTIVATE_VERSION 1', 'RECORD 1']);
    expect(kinds.at(-1)).toBe('ACTIVATE_VERSION 1');
    expect(kinds.filter((k) => k === 'RECORD 1')).toHaveLength(500);
    expect(conveyor(['sync'], { cwd: dir }).code).toBe(0);
    // a later version is activated only at the end: the old rows stay until the new ones are complete
    const second = lines(join(dir, 'out/messages.log')).slice(kinds.length);
    expect(second.slice(0, 2)).toEqual(['SCHEMA', 'RECORD 2']);
    expect(second.filter((k) => k === 'ACTIVATE_VERSION 2')).toHaveLength(1);
    expect(second.at(-1)).toBe('ACTIVATE_VERSION 2');
  });

  it('a target that dies before echoing leaves the unconfirmed records to be sent again', () => {
    const dir = tempProject(targetProject(', crash_after_records: 275'));
    const failed = conveyor(['sync'], { cwd: dir });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toMatch(/exited with code 3/);
    const written = lines(join(dir, 'out/users.jsonl')).length;
    expect(written).toBe(275);

    writeFileSync(join(dir, 'conveyor.yml'), targetProject(''));
    const again = conveyor(['sync'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    const ids = lines(join(dir, 'out/users.jsonl')).map((l) => JSON.parse(l).id as number);
    // every user arrived; the ones after the last echoed state (250) arrived twice: at-least-once
    expect(new Set(ids).size).toBe(500);
    expect(ids.length).toBe(500 + 25);
  });
});
