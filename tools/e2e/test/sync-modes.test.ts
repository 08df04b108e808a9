import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conveyor, query, tempProject } from './cli.js';

function project(syncMode: string, destinationMode: string, destination = 'duckdb'): string {
  const config = destination === 'duckdb' ? '{ path: ./w.duckdb }' : '{ path: ./out }';
  return `
sources:
  fake: { connector: faker, config: { count: "\${COUNT}", seed: 3 } }
destinations:
  dest: { connector: ${destination}, config: ${config} }
connections:
  c:
    source: fake
    destination: dest
    streams:
      - { name: users, sync_mode: ${syncMode}, destination_sync_mode: ${destinationMode} }
`;
}

function sync(dir: string, count: number, extra: string[] = []): void {
  const r = conveyor(['sync', ...extra], { cwd: dir, env: { COUNT: String(count) } });
  expect(r.code, r.stderr).toBe(0);
}

async function users(dir: string) {
  const [row] = await query(
    join(dir, 'w.duckdb'),
    'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, max(id)::INT AS max_id, max(_conveyor_generation_id)::INT AS gen FROM users',
  );
  return row;
}

describe('every sync mode, end to end through the CLI into DuckDB', () => {
  it('full_refresh + append adds a copy per sync, each in its own generation', async () => {
    const dir = tempProject(project('full_refresh', 'append'));
    sync(dir, 100);
    sync(dir, 100);
    expect(await users(dir)).toMatchObject({ n: 200, ids: 100, gen: 2 });
  });

  it('full_refresh + overwrite replaces the table with a new generation', async () => {
    const dir = tempProject(project('full_refresh', 'overwrite'));
    sync(dir, 100);
    expect(await users(dir)).toMatchObject({ n: 100, gen: 1 });
    sync(dir, 60);
    expect(await users(dir)).toMatchObject({ n: 60, ids: 60, gen: 2 });
  });

  it('incremental + append reads only what is new', async () => {
    const dir = tempProject(project('incremental', 'append'));
    sync(dir, 100);
    sync(dir, 100);
    expect(await users(dir)).toMatchObject({ n: 100, ids: 100 });
    sync(dir, 150);
    expect(await users(dir)).toMatchObject({ n: 150, ids: 150, max_id: 150 });
  });

  it('incremental + append_dedup keeps one row per key even after a state reset', async () => {
    const dir = tempProject(project('incremental', 'append_dedup'));
    sync(dir, 100);
    sync(dir, 150);
    const reset = conveyor(['state', 'reset', 'c'], { cwd: dir, env: { COUNT: '150' } });
    expect(reset.code, reset.stderr).toBe(0);
    sync(dir, 150);
    expect(await users(dir)).toMatchObject({ n: 150, ids: 150 });
  });

  it('--refresh starts incremental streams over in a new generation', async () => {
    const dir = tempProject(project('incremental', 'append'));
    sync(dir, 100);
    sync(dir, 100, ['--refresh']);
    expect(await users(dir)).toMatchObject({ n: 100, ids: 100, gen: 2 });
  });

  it('JSONL destination: overwrite replaces the file, append extends it', () => {
    const over = tempProject(project('full_refresh', 'overwrite', 'jsonl'));
    sync(over, 30);
    sync(over, 20);
    expect(
      readFileSync(join(over, 'out', 'users.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(20);
    const app = tempProject(project('incremental', 'append', 'jsonl'));
    sync(app, 30);
    sync(app, 45);
    const ids = readFileSync(join(app, 'out', 'users.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toEqual(Array.from({ length: 45 }, (_, i) => i + 1));
  });
});
