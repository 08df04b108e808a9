import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject, substituteEnv } from '../src/index.js';

function projectFile(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-cli-'));
  const file = join(dir, 'conveyor.yml');
  writeFileSync(file, yaml);
  return file;
}

describe('substituteEnv', () => {
  it('replaces ${VAR} and ${VAR:-default} at any depth', () => {
    const env = { HOST: 'db.local', EMPTY: '' };
    expect(
      substituteEnv(
        { a: '${HOST}:5432', b: ['${EMPTY:-x}', 3], c: { d: '${MISSING:-fallback}' } },
        'cfg',
        env,
      ),
    ).toEqual({
      a: 'db.local:5432',
      b: ['x', 3],
      c: { d: 'fallback' },
    });
  });

  it('names the variable and the place when it is not set', () => {
    expect(() => substituteEnv({ a: { b: '${NOT_SET_ANYWHERE}' } }, 'sources.x.config', {})).toThrow(
      /sources\.x\.config\.a\.b uses \$\{NOT_SET_ANYWHERE\}, but the environment variable NOT_SET_ANYWHERE is not set/,
    );
  });
});

describe('loadProject', () => {
  it('reads sources, destinations and connections with their streams', () => {
    const project = loadProject(
      projectFile(`
sources:
  s: { connector: faker, config: { count: 3 } }
destinations:
  d: { connector: duckdb, config: { path: ./x.duckdb } }
connections:
  c:
    source: s
    destination: d
    streams: [users, { name: products, sync_mode: full_refresh, destination_sync_mode: overwrite }]
    checkpoint: { records: 10 }
    heartbeat_timeout: 30
`),
    );
    const c = project.connections.get('c')!;
    expect(c.source).toEqual({ name: 's', connector: 'faker', config: { count: 3 } });
    expect(c.streams).toEqual([
      { name: 'users' },
      { name: 'products', sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' },
    ]);
    expect(c.checkpoint).toEqual({ records: 10 });
    expect(c.heartbeatSeconds).toBe(30);
  });

  it.each([
    ['a missing file', null, /not found/],
    ['a list at the top', '- a\n- b\n', /must be a mapping/],
    [
      'a source without connector',
      'sources:\n  s: { config: {} }\n',
      /conveyor\.yml:2 \(sources\.s\): connector: is missing/,
    ],
    [
      'a config that is a list',
      'sources:\n  s:\n    connector: faker\n    config: [1]\n',
      /conveyor\.yml:4 \(sources\.s\.config\): config: must be a mapping/,
    ],
    [
      'an undefined destination',
      'sources:\n  s: { connector: faker }\nconnections:\n  c: { source: s, destination: nope }\n',
      /destination "nope" is not defined under destinations: \(defined: none\)/,
    ],
    [
      'streams that are not a list',
      'sources:\n  s: { connector: faker }\ndestinations:\n  d: { connector: jsonl }\nconnections:\n  c: { source: s, destination: d, streams: users }\n',
      /streams\): must be a list/,
    ],
    [
      'a bad destination mode',
      'sources:\n  s: { connector: faker }\ndestinations:\n  d: { connector: jsonl }\nconnections:\n  c:\n    source: s\n    destination: d\n    streams: [{ name: u, destination_sync_mode: upsert }]\n',
      /destination_sync_mode "upsert" is not one of append, overwrite, append_dedup/,
    ],
  ])('explains %s with the file and line', (_what, yaml, message) => {
    const file = yaml === null ? join(tmpdir(), 'surely-missing-conveyor.yml') : projectFile(yaml);
    expect(() => loadProject(file)).toThrow(message);
  });
});

describe('substituteEnv types', () => {
  it('gives a whole-value reference the type of its text', () => {
    expect(
      substituteEnv({ n: '${N}', b: '${B}', s: 'x${N}', f: '${F:-1.5}' }, 'c', { N: '25', B: 'true' }),
    ).toEqual({
      n: 25,
      b: true,
      s: 'x25',
      f: 1.5,
    });
  });
});
