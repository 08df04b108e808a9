// Existing ecosystems, unchanged, through the CLI: an Airbyte connector from PyPI, a Singer tap and a
// Singer target from PyPI, and the acceptance kit against the Airbyte connector. The packages are
// real and installed by these tests (once; later runs reuse ~/.cache/conveyor/python). Versions are
// pinned so that a new release upstream cannot change what is tested.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conveyor, conveyorAsync, query, tempProject } from './cli.js';

const FAKER = 'airbyte:source-faker==7.2.1';
const TAP_POSTGRES = 'singer:meltanolabs-tap-postgres==0.10.0:tap-postgres';
const TARGET_JSONL = 'singer:target-jsonl==0.1.4';
// a first run installs the packages from PyPI (about a minute each here)
const INSTALL_MS = 15 * 60_000;

function psql(database: string, sql: string): void {
  execFileSync('psql', [
    '-h',
    '127.0.0.1',
    '-U',
    'postgres',
    '-d',
    database,
    '-v',
    'ON_ERROR_STOP=1',
    '-qc',
    sql,
  ]);
}

describe('airbyte: connectors from PyPI', () => {
  it(
    'airbyte:source-faker into DuckDB: every stream, its columns, then incrementally from its state',
    async () => {
      const dir = tempProject(`
sources:
  faker: { connector: "${FAKER}", config: { count: 300, seed: 11, always_updated: false, parallelism: 1 } }
destinations:
  db: { connector: duckdb, config: { path: ./w.duckdb } }
connections:
  c:
    source: faker
    destination: db
    streams:
      - { name: users, sync_mode: incremental, destination_sync_mode: append }
      - { name: products, sync_mode: full_refresh, destination_sync_mode: overwrite }
`);
      const first = await conveyorAsync(['sync'], { cwd: dir });
      expect(first.code, first.stderr).toBe(0);
      const db = join(dir, 'w.duckdb');
      const [users] = await query(db, 'SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids FROM users');
      expect(users).toEqual({ n: 300, ids: 300 });
      const [products] = await query(db, 'SELECT count(*)::INT AS n FROM products');
      expect(products!.n).toBeGreaterThan(0);
      const columns = (
        await query(
          db,
          "SELECT column_name FROM duckdb_columns() WHERE table_name = 'users' ORDER BY column_index",
        )
      ).map((r) => r.column_name);
      expect(columns).toEqual(
        expect.arrayContaining([
          'id',
          'name',
          'email',
          'age',
          'address',
          'created_at',
          'updated_at',
          '_conveyor_raw_id',
        ]),
      );
      const [typed] = await query(
        db,
        'SELECT typeof(age) AS age, typeof(address) AS address FROM users LIMIT 1',
      );
      expect(typed).toEqual({ age: 'BIGINT', address: 'JSON' });

      const second = await conveyorAsync(['sync'], { cwd: dir });
      expect(second.code, second.stderr).toBe(0);
      // the users' state was committed and handed back: nothing new to append
      const [after] = await query(db, 'SELECT count(*)::INT AS n FROM users');
      expect(after!.n).toBe(300);
      const runs = conveyor(['runs'], { cwd: dir });
      expect(runs.stdout).toContain('7.2.1');
    },
    INSTALL_MS,
  );

  it(
    'passes the acceptance kit',
    async () => {
      const dir = tempProject();
      const file = join(dir, 'acceptance.yml');
      writeFileSync(
        file,
        `kind: source
connector: ${FAKER}
configs:
  - name: small
    config: { count: 200, seed: 5, always_updated: false, parallelism: 1 }
invalid_configs:
  - name: count is text
    config: { count: "many" }
    reason: count must be an integer
interruptions: 2
# products carry the time of the read in updated_at
volatile_fields: { products: [updated_at], users: [updated_at], purchases: [updated_at] }
skip: { backward_compatibility: "its releases are Airbyte's, with no released.json of ours to compare" }
`,
      );
      const r = await conveyorAsync(['test', file, '--seed', '7'], { cwd: dir });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/PASSED: 17 passed, 0 failed, 3 skipped/);
    },
    INSTALL_MS,
  );
});

describe('Singer taps and targets from PyPI', () => {
  const database = `conveyor_singer_${process.pid}_${Date.now() % 100_000}`;
  beforeAll(() => {
    psql('postgres', `CREATE DATABASE ${database}`);
    psql(
      database,
      `CREATE TABLE people (id int PRIMARY KEY, name text, updated_at timestamptz NOT NULL);
       INSERT INTO people SELECT g, 'p' || g, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(1, 50) g`,
    );
  });
  afterAll(() => {
    psql('postgres', `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  it(
    "MeltanoLabs' tap-postgres into DuckDB, then incrementally again from its bookmark",
    async () => {
      const dir = tempProject(`
sources:
  pg:
    connector: "${TAP_POSTGRES}"
    config: { host: 127.0.0.1, port: 5432, user: postgres, password: "\${PGPASSWORD:-unused}", database: ${database}, filter_schemas: [public] }
destinations:
  db: { connector: duckdb, config: { path: ./w.duckdb } }
connections:
  c:
    source: pg
    destination: db
    streams:
      - { name: public-people, sync_mode: incremental, cursor_field: [updated_at], primary_key: [[id]], destination_sync_mode: append_dedup }
`);
      const first = await conveyorAsync(['sync'], { cwd: dir });
      expect(first.code, first.stderr).toBe(0);
      const db = join(dir, 'w.duckdb');
      expect((await query(db, 'SELECT count(*)::INT AS n FROM "public-people"'))[0]).toEqual({ n: 50 });

      psql(
        database,
        `INSERT INTO people SELECT g, 'p' || g, '2024-01-01'::timestamptz + g * interval '1 minute' FROM generate_series(51, 60) g;
         UPDATE people SET name = 'changed', updated_at = '2025-01-01' WHERE id = 5`,
      );
      const second = await conveyorAsync(['sync'], { cwd: dir });
      expect(second.code, second.stderr).toBe(0);
      // from the bookmark: the 11 new or changed rows plus the row at the bookmark itself (inclusive)
      const read = /public-people\s+(\d+)/.exec(second.stdout)?.[1];
      expect(Number(read)).toBe(12);
      const [rows] = await query(
        db,
        `SELECT count(*)::INT AS n, count(DISTINCT id)::INT AS ids, max(name) FILTER (id = 5) AS five FROM "public-people"`,
      );
      expect(rows).toEqual({ n: 60, ids: 60, five: 'changed' });
    },
    INSTALL_MS,
  );

  it(
    "Conveyor's faker into target-jsonl: the files hold every record, and the echoed state is kept",
    async () => {
      const dir = tempProject(`
sources:
  fake: { connector: faker, config: { count: 400, seed: 2 } }
destinations:
  files: { connector: "${TARGET_JSONL}", config: { destination_path: ./out, do_timestamp_file: false } }
connections:
  c:
    source: fake
    destination: files
    streams:
      - { name: users, sync_mode: incremental, destination_sync_mode: append }
      - { name: purchases, sync_mode: incremental, destination_sync_mode: append }
`);
      const first = await conveyorAsync(['sync'], { cwd: dir });
      expect(first.code, first.stderr).toBe(0);
      const read = (name: string) =>
        readFileSync(join(dir, 'out', name), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { id: number });
      expect(readdirSync(join(dir, 'out')).sort()).toEqual(['purchases.jsonl', 'users.jsonl']);
      const users = read('users.jsonl');
      expect(users).toHaveLength(400);
      expect(new Set(users.map((u) => u.id)).size).toBe(400);
      expect(users[0]).toMatchObject({
        id: expect.any(Number),
        name: expect.any(String),
        email: expect.any(String),
      });

      const second = await conveyorAsync(['sync'], { cwd: dir });
      expect(second.code, second.stderr).toBe(0);
      expect(read('users.jsonl')).toHaveLength(400);
    },
    INSTALL_MS,
  );
});

describe('installing', () => {
  it(
    'uses uv when it is on the PATH, and records what it installed',
    async () => {
      // uv itself from PyPI, into a virtualenv of this test's own
      const tools = tempProject();
      execFileSync('python3', ['-m', 'venv', join(tools, 'venv')]);
      execFileSync(join(tools, 'venv/bin/pip'), ['install', '--quiet', 'uv==0.13.9'], { stdio: 'ignore' });
      const envs = join(tools, 'envs');
      const r = await conveyorAsync(['spec', TARGET_JSONL], {
        cwd: tools,
        env: { PATH: `${join(tools, 'venv/bin')}:${process.env.PATH}`, CONVEYOR_PYTHON_ENVS: envs },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/Installing target-jsonl==0\.1\.4 from PyPI with uv/);
      const [folder] = readdirSync(envs).filter((f) => !f.endsWith('.lock'));
      expect(folder).toMatch(/^target-jsonl@0\.1\.4-py3\.\d+$/);
      const recorded = JSON.parse(readFileSync(join(envs, folder!, 'conveyor-env.json'), 'utf8'));
      expect(recorded).toMatchObject({ installer: 'uv', version: '0.1.4', requested: 'target-jsonl==0.1.4' });
      expect(recorded.packages['singer-python']).toMatch(/^\d+\.\d+/);
      // a second use starts from the environment, without installing
      const again = await conveyorAsync(['spec', TARGET_JSONL], {
        cwd: tools,
        env: { PATH: `${join(tools, 'venv/bin')}:${process.env.PATH}`, CONVEYOR_PYTHON_ENVS: envs },
      });
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).not.toContain('Installing');
    },
    INSTALL_MS,
  );
});

describe('what goes wrong gets a clear error', () => {
  it(
    'a package that is not on PyPI, and a version that does not exist',
    async () => {
      const dir = tempProject();
      const missing = await conveyorAsync(
        ['discover', 'airbyte:source-conveyor-no-such-connector', '--config', '{}'],
        {
          cwd: dir,
        },
      );
      expect(missing.code).not.toBe(0);
      expect(missing.stderr).toContain('airbyte-source-conveyor-no-such-connector was not found on PyPI');
      const version = await conveyorAsync(['discover', 'singer:target-jsonl==99.0.0', '--config', '{}'], {
        cwd: dir,
      });
      expect(version.code).not.toBe(0);
      expect(version.stderr).toMatch(
        /target-jsonl==99\.0\.0: no such version on PyPI\. Newest versions: .*0\.1\.4/,
      );
    },
    INSTALL_MS,
  );

  const python38 =
    ['/root/.pyenv/versions/3.8.18/bin/python', '/usr/bin/python3.8'].find((p) => existsSync(p)) ??
    (spawnSync('python3.8', ['--version']).status === 0 ? 'python3.8' : undefined);
  it.skipIf(!python38)(
    'a package that needs another Python (run where a Python 3.8 is installed)',
    async () => {
      const dir = tempProject();
      const r = await conveyorAsync(['discover', FAKER, '--config', '{}'], {
        cwd: dir,
        env: { CONVEYOR_PYTHON: python38 },
      });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /airbyte-source-faker==7\.2\.1 cannot be installed on Python 3\.8\.\d+: it needs Python <3\.13,>=3\.10/,
      );
    },
    INSTALL_MS,
  );

  it(
    'a connector that exits at once: the error leads with its own reason, not a stack',
    async () => {
      const dir = tempProject();
      const r = await conveyorAsync(
        [
          'discover',
          TAP_POSTGRES,
          '--config',
          JSON.stringify({ host: '127.0.0.1', user: 'postgres', database: 'test' }),
        ],
        { cwd: dir },
      );
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(
        /exited with code 1: AssertionError: Need either the sqlalchemy_url to be set or host, port, user, and password to be set/,
      );
      expect(r.stderr).not.toMatch(/^\s+at .*\.js:\d+/m);
    },
    INSTALL_MS,
  );
});
