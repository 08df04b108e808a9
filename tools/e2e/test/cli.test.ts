import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conveyor, messages, query, tempProject } from './cli.js';

describe('conveyor CLI', () => {
  it('prints specs of sources and destinations by short name', () => {
    const dir = tempProject();
    for (const name of ['faker', 'files', 'duckdb', 'jsonl', '@conveyor/source-faker']) {
      const r = conveyor(['spec', name], { cwd: dir });
      expect(r.code, r.stderr).toBe(0);
      const [spec] = messages(r.stdout);
      expect(spec).toMatchObject({ type: 'SPEC', spec: { connectionSpecification: { type: 'object' } } });
    }
  });

  it('checks a config and names the bad field of an invalid one', () => {
    const dir = tempProject();
    const ok = conveyor(['check', 'faker', '--config', '{"count": 5}'], { cwd: dir });
    expect(ok.code).toBe(0);
    expect(messages(ok.stdout)[0]).toMatchObject({ connectionStatus: { status: 'SUCCEEDED' } });
    const bad = conveyor(['check', 'faker', '--config', '{"count": "many"}'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/count/);
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
  });

  it('discovers and reads faker', () => {
    const dir = tempProject();
    const catalog = messages(conveyor(['discover', 'faker'], { cwd: dir }).stdout)[0] as {
      catalog: { streams: { name: string }[] };
    };
    expect(catalog.catalog.streams.map((s) => s.name)).toEqual(['users', 'products', 'purchases']);
    const read = conveyor(['read', 'faker', '--config', '{"count": 3}'], { cwd: dir });
    expect(read.code, read.stderr).toBe(0);
    const users = messages(read.stdout).filter(
      (m) => m.type === 'RECORD' && (m.record as { stream: string }).stream === 'users',
    );
    expect(users).toHaveLength(3);
  });

  it('runs the demo: faker into DuckDB, then says where the data is and how to look', async () => {
    const dir = tempProject();
    const r = conveyor(['sync', '--source', 'faker', '--destination', 'duckdb'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const db = join(dir, '.conveyor', 'conveyor.duckdb');
    expect(r.stdout).toContain(`Data is in ${db}`);
    expect(r.stdout).toContain('npx conveyor query faker-to-duckdb \'SELECT * FROM "users" LIMIT 5\'');
    const look = conveyor(['query', 'faker-to-duckdb', 'SELECT count(*) AS n FROM users'], { cwd: dir });
    expect(look.code, look.stderr).toBe(0);
    expect(look.stdout).toMatch(/\b1000\b/);
    const [row] = await query(db, 'SELECT count(*) AS n, count(DISTINCT id) AS ids FROM users');
    expect(row).toEqual({ n: '1000', ids: '1000' });

    const runs = conveyor(['runs'], { cwd: dir });
    expect(runs.stdout).toMatch(/faker-to-duckdb .*succeeded/);
    const state = JSON.parse(conveyor(['state', 'show', 'faker-to-duckdb'], { cwd: dir }).stdout) as {
      states: unknown[];
    };
    expect(state.states.length).toBeGreaterThan(0);
  });

  it('runs the connections of a project file, with ${ENV} in configs', async () => {
    const dir = tempProject(`
sources:
  fake:
    connector: faker
    config: { count: "\${FAKE_COUNT}", seed: 7 }
destinations:
  files:
    connector: jsonl
    config: { path: ./out }
  warehouse:
    connector: duckdb
    config: { path: "\${DB_PATH:-./w.duckdb}" }
connections:
  to-files:
    source: fake
    destination: files
    streams:
      - name: users
        sync_mode: full_refresh
        destination_sync_mode: overwrite
  to-warehouse:
    source: fake
    destination: warehouse
    streams: [users, products]
`);
    const r = conveyor(['sync'], { cwd: dir, env: { FAKE_COUNT: '25' } });
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'out', 'users.jsonl'))).toBe(true);
    const [row] = await query(join(dir, 'w.duckdb'), 'SELECT count(*) AS n FROM users');
    expect(row).toEqual({ n: '25' });
    expect(existsSync(join(dir, '.conveyor', 'state.db'))).toBe(true);
  });

  it.each([
    [
      'a missing environment variable',
      'sources:\n  s: { connector: faker, config: { count: "${NOPE_NOT_SET}" } }\ndestinations:\n  d: { connector: jsonl, config: { path: ./o } }\nconnections:\n  c: { source: s, destination: d }\n',
      /NOPE_NOT_SET is not set/,
    ],
    [
      'an undefined source',
      'sources: {}\ndestinations:\n  d: { connector: jsonl, config: { path: ./o } }\nconnections:\n  c: { source: ghost, destination: d }\n',
      /conveyor\.yml:5 .*source "ghost" is not defined under sources/,
    ],
    ['invalid YAML', 'sources: [\n', /conveyor\.yml:\d+:\d+ is not valid YAML/],
    [
      'a bad sync mode',
      'sources:\n  s: { connector: faker }\ndestinations:\n  d: { connector: jsonl, config: { path: ./o } }\nconnections:\n  c:\n    source: s\n    destination: d\n    streams:\n      - { name: users, sync_mode: sometimes }\n',
      /conveyor\.yml:10 .*sync_mode "sometimes" is not one of full_refresh, incremental/,
    ],
    [
      'a stream the source does not have',
      'sources:\n  s: { connector: faker }\ndestinations:\n  d: { connector: jsonl, config: { path: ./o } }\nconnections:\n  c: { source: s, destination: d, streams: [nope] }\n',
      /Stream "nope" is not offered by the source/,
    ],
  ])('refuses %s with exit code 2 and a clear message', (_what, yaml, message) => {
    const dir = tempProject(yaml);
    const r = conveyor(['sync'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 1 when a sync fails, records why, and shows internals only with --debug', () => {
    const dir = tempProject();
    const script = join(dir, 'bad-source.mjs');
    writeFileSync(
      script,
      `#!/usr/bin/env node
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const cmd = process.argv[2];
if (cmd === 'spec') out({ type: 'SPEC', spec: { connectionSpecification: { type: 'object' } } });
if (cmd === 'discover') out({ type: 'CATALOG', catalog: { streams: [{ name: 's', json_schema: { type: 'object', properties: {} }, supported_sync_modes: ['full_refresh'] }] } });
if (cmd === 'read') process.stdout.write('{"type": not json\\n');
`,
      { mode: 0o755 },
    );
    const r = conveyor(
      [
        'sync',
        '--source',
        `exec:${script}`,
        '--destination',
        'jsonl',
        '--destination-config',
        '{"path":"./o"}',
      ],
      { cwd: dir },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/output line 1/);
    const runs = conveyor(['runs', '--json'], { cwd: dir });
    expect(JSON.parse(runs.stdout)[0]).toMatchObject({ status: 'failed' });
  });

  it('names the line of a bad record that DuckDB refused while bulk-loading, keeping committed rows', async () => {
    const dir = tempProject();
    const script = join(dir, 'array-source.mjs');
    writeFileSync(
      script,
      `#!/usr/bin/env node
const out = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
const cmd = process.argv[2];
if (cmd === 'spec') out({ type: 'SPEC', spec: { connectionSpecification: { type: 'object' } } });
if (cmd === 'discover') out({ type: 'CATALOG', catalog: { streams: [{ name: 's', json_schema: { type: 'object', properties: { id: { type: 'integer' } } }, supported_sync_modes: ['full_refresh', 'incremental'], source_defined_cursor: true, default_cursor_field: ['id'] }] } });
if (cmd === 'read') {
  out({ type: 'RECORD', record: { stream: 's', data: { id: 1 }, emitted_at: 1 } });
  out({ type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: 's' }, stream_state: { id: 1 } } } });
  out({ type: 'RECORD', record: { stream: 's', data: { id: 2 }, emitted_at: 1 } });
  out({ type: 'RECORD', record: { stream: 's', data: [2, 3], emitted_at: 1 } });
}
`,
      { mode: 0o755 },
    );
    writeFileSync(
      join(dir, 'conveyor.yml'),
      `sources: { a: { connector: "exec:${script}" } }
destinations: { d: { connector: duckdb, config: { path: ./d.duckdb } } }
connections: { c: { source: a, destination: d, checkpoint: { records: 1 } } }
`,
    );
    const r = conveyor(['sync'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/output line 4, stream "s" is a RECORD whose "record.data" is an array/);
    const [row] = await query(join(dir, 'd.duckdb'), 'SELECT count(*)::INT AS n FROM s');
    expect(row).toEqual({ n: 1 });
  });

  it('prints usage errors with exit code 2', () => {
    const r = conveyor(['sync', '--bogus'], { cwd: tempProject() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--bogus'/);
  });
});
