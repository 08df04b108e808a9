// The golden path's first half: `npx plop connector <kind> <name> <template>` in a throwaway copy of
// the workspace makes a package that nx and turbo see, that builds, and whose acceptance tests pass
// offline at once.

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

  it('the new packages are projects for nx (affected) and turbo (tasks) with no edit', () => {
    ws.commit('three new connectors');
    const affected = execFileSync('npm', ['run', '--silent', 'affected', '--', '--base', base], {
      cwd: ws.dir,
      env,
      encoding: 'utf8',
    });
    for (const p of [
      '@conveyor/source-acme-api',
      '@conveyor/source-acme-py',
      '@conveyor/destination-acme-sink',
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

  it('says what is wrong with a bad name, an unknown or unfinished template, or a taken name', () => {
    const said = (...args: string[]) => {
      const r = plop(...args);
      expect(r.status).not.toBe(0);
      return r.stdout + r.stderr;
    };
    expect(said('source', 'Acme_API', 'http')).toMatch(/"Acme_API" is not a name: use lowercase letters/);
    expect(said('source', 'acme-db', 'sql')).toMatch(
      /sql: there is no sql template yet: .*libs\/sql\/README\.md/,
    );
    expect(said('source', 'acme-x', 'destination')).toMatch(
      /"destination" is not a source template; source templates: http, python/,
    );
    expect(said('source', 'acme-api', 'http')).toMatch(/connectors\/source-acme-api already exists/);
  });
});
