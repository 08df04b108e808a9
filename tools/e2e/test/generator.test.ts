// The golden path's first half: `npx plop connector <kind> <name> <template>` in a throwaway copy of
// the workspace makes a package that nx and turbo see, that builds, and whose acceptance tests pass
// offline at once; the sql template's package passes its own tests against a throwaway database.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from './cli.js';
import { type WorkspaceCopy, workspaceCopy } from './workspace-copy.js';

let ws: WorkspaceCopy;
let base: string;

// the copy shares node_modules with this checkout, so the generator must not run npm install there
const env = {
  ...process.env,
  CONVEYOR_GENERATOR_SKIP_INSTALL: '1',
  NX_DAEMON: 'false',
  TURBO_TELEMETRY_DISABLED: '1',
};

function plop(...args: string[]) {
  return spawnSync('npx', ['plop', 'connector', ...args], { cwd: ws.dir, env, encoding: 'utf8' });
}

function kit(dir: string) {
  return spawnSync(process.execPath, [CLI, 'test', dir], { cwd: ws.dir, env, encoding: 'utf8' });
}

beforeAll(() => {
  ws = workspaceCopy();
  base = ws.git('rev-parse', 'HEAD');
}, 60_000);

afterAll(() => ws?.remove());

describe('plop connector', () => {
  it.each([
    ['source', 'acme-api', 'http'],
    ['source', 'acme-py', 'python'],
    ['source', 'acme-yaml', 'declarative'],
    ['destination', 'acme-sink', 'destination'],
  ])(
    'makes a %s package %s from the %s template that passes conveyor test at once',
    (kind, name, template) => {
      const made = plop(kind, name, template);
      expect(made.status, `${made.stdout}\n${made.stderr}`).toBe(0);
      const dir = join(ws.dir, 'connectors', `${kind}-${name}`);
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(pkg).toMatchObject({
        name: `@conveyor/${kind}-${name}`,
        bin: { [`${kind}-${name}`]: expect.any(String) },
        conveyor: { kind, supportLevel: 'community', documentationUrl: expect.stringMatching(/^https:\/\//) },
      });
      for (const file of ['acceptance.yml', 'README.md', 'CHANGELOG.md', 'test/acceptance.test.ts']) {
        expect(existsSync(join(dir, file)), file).toBe(true);
      }
      expect(readFileSync(join(ws.dir, '.changeset', `${kind}-${name}-first-version.md`), 'utf8')).toContain(
        `'@conveyor/${kind}-${name}': minor`,
      );
      // the docs page is made from the connector's own spec
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/## Config\n\n\| field \| type \|/);

      const tested = kit(`connectors/${kind}-${name}`);
      expect(tested.status, tested.stdout + tested.stderr).toBe(0);
      expect(tested.stdout).toMatch(/PASSED: \d+ passed, 0 failed/);
    },
  );

  it('makes a source package from the sql template whose own tests pass against a throwaway Postgres database', () => {
    const made = plop('source', 'acme-db', 'sql');
    expect(made.status, `${made.stdout}\n${made.stderr}`).toBe(0);
    expect(made.stdout).toMatch(/Next: .*src\/spec\.json \(the port/);
    const dir = join(ws.dir, 'connectors', 'source-acme-db');
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({
      name: '@conveyor/source-acme-db',
      bin: { 'source-acme-db': expect.any(String) },
      conveyor: { kind: 'source', supportLevel: 'community' },
      dependencies: {
        '@conveyor/cdk': expect.any(String),
        '@conveyor/protocol': expect.any(String),
        '@conveyor/sql': expect.any(String),
      },
      devDependencies: { '@conveyor/testing': expect.any(String) },
    });
    expect(readFileSync(join(dir, 'src', 'index.ts'), 'utf8')).toMatch(
      /sqlSource<[\s\S]*openPostgresSourceDriver/,
    );
    const spec = JSON.parse(readFileSync(join(dir, 'src', 'spec.json'), 'utf8'));
    expect(spec.connectionSpecification).toMatchObject({
      title: 'Acme Db source',
      required: ['host', 'database', 'username'],
      properties: { port: { default: 5432 }, password: { airbyte_secret: true } },
    });
    // the docs page is made from the spec: the Postgres connection fields
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(
      /## Config\n\n\| field \| type \|[\s\S]*`ssl_mode`/,
    );
    expect(existsSync(join(dir, 'dist', 'main.js'))).toBe(true);

    const tested = spawnSync('npm', ['test'], { cwd: dir, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8' });
    expect(tested.status, tested.stdout + tested.stderr).toBe(0);
    expect(tested.stdout).toMatch(/Tests\s+4 passed \(4\)/);
  }, 240_000);

  it('the new packages are projects for nx (affected) and turbo (tasks) with no edit', () => {
    ws.commit('five new connectors');
    const affected = execFileSync('npm', ['run', '--silent', 'affected', '--', '--base', base], {
      cwd: ws.dir,
      env,
      encoding: 'utf8',
    });
    for (const p of [
      '@conveyor/source-acme-api',
      '@conveyor/source-acme-py',
      '@conveyor/source-acme-yaml',
      '@conveyor/destination-acme-sink',
      '@conveyor/source-acme-db',
    ]) {
      expect(affected).toContain(p);
    }
    expect(affected).not.toContain('@conveyor/source-faker');
    const dry = execFileSync(
      'npx',
      ['turbo', 'run', 'test', '--filter=@conveyor/source-acme-api', '--dry=json'],
      {
        cwd: ws.dir,
        env,
        encoding: 'utf8',
      },
    );
    const tasks = (JSON.parse(dry) as { tasks: { taskId: string }[] }).tasks.map((t) => t.taskId);
    expect(tasks).toEqual(
      expect.arrayContaining(['@conveyor/source-acme-api#build', '@conveyor/source-acme-api#test']),
    );
  });

  it('says what is wrong with a bad name, an unknown template, or a taken name', () => {
    const said = (...args: string[]) => {
      const r = plop(...args);
      expect(r.status).not.toBe(0);
      return r.stdout + r.stderr;
    };
    expect(said('source', 'Acme_API', 'http')).toMatch(/"Acme_API" is not a name: use lowercase letters/);
    expect(said('source', 'acme-x', 'destination')).toMatch(
      /"destination" is not a source template; source templates: declarative, http, python, sql/,
    );
    expect(said('destination', 'acme-x', 'http')).toMatch(
      /"http" is not a destination template; destination templates: destination, sql/,
    );
    expect(said('source', 'acme-api', 'http')).toMatch(/connectors\/source-acme-api already exists/);
  });
});
