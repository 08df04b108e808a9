// The release path end to end, all on loopback: a local registry (verdaccio), the workspace's
// packages published with `npm run release`, and an instance (its own home) that installs
// @conveyor/source-faker, syncs, and takes a patch (through its watcher), holds a breaking major
// until approved, refuses a version whose check fails, and rolls back.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchVersions } from '@conveyor/engine';
import { type LocalRegistry, startRegistry } from '@conveyor/registry';
import semver from 'semver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, conveyor } from './cli.js';
import { type WorkspaceCopy, workspaceCopy } from './workspace-copy.js';

const FAKER = '@conveyor/source-faker';
let registry: LocalRegistry;
let ws: WorkspaceCopy;
let instance: string;
let scratch: string;
/** Versions, from what the workspace holds now: this test releases a patch, a patch, a major, a patch. */
let V: { base: string; patch1: string; patch2: string; major: string; majorPatch: string; cdk: string };

const env = () => ({ CONVEYOR_REGISTRY: registry.url, CONVEYOR_ACTOR: 'ops-bot' });
const cli = (...args: string[]) => conveyor(args, { cwd: instance, env: env() });

function release(): string {
  const r = spawnSync(process.execPath, ['tools/ci/release.mjs', '--registry', registry.url], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: {
      ...process.env,
      NPM_CONFIG_USERCONFIG: registry.npmrc,
      NX_DAEMON: 'false',
      TURBO_TELEMETRY_DISABLED: '1',
    },
  });
  const output = `${r.stdout}\n${r.stderr}`;
  expect(r.status, output).toBe(0);
  return output;
}

async function published(name: string): Promise<string[]> {
  return (await fetchVersions(registry.url, name)).map((v) => v.version);
}

/** Edits the connector in the workspace copy and records a changeset for it, as a developer would. */
function changeFaker(bump: 'patch' | 'major', summary: string, file: string, edit: (text: string) => string) {
  const path = join(ws.dir, 'connectors/source-faker', file);
  const before = readFileSync(path, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(path, after);
  ws.write(`.changeset/faker-${Date.now()}.md`, `---\n'${FAKER}': ${bump}\n---\n\n${summary}\n`);
  ws.commit(summary);
}

function lastRun(connection = 'fake-to-files'): { sourceVersion: string; status: string; endedAt: string } {
  const r = cli('runs', '--json', '--limit', '1', '--connection', connection);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { sourceVersion: string; status: string; endedAt: string }[])[0]!;
}

function sync(): void {
  const r = cli('sync', 'fake-to-files', '-q');
  expect(r.code, r.stderr).toBe(0);
}

function current(): string {
  const list = JSON.parse(cli('connectors', 'list', '--json').stdout) as {
    package: string;
    version: string;
  }[];
  return list.find((c) => c.package === FAKER)!.version;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    cwd: instance,
    env: { ...process.env, CONVEYOR_HOME: '', ...env() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((done) => {
    if (child.exitCode !== null) done(child.exitCode);
    else child.once('exit', (code) => done(code));
  });

async function until(what: string, condition: () => boolean, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'conveyor-release-'));
  registry = await startRegistry({ dir: join(scratch, 'registry') });
  ws = workspaceCopy({ withDist: true, withoutPendingChangesets: true });
  const version = (path: string) =>
    (JSON.parse(readFileSync(join(ws.dir, path), 'utf8')) as { version: string }).version;
  const base = version('connectors/source-faker/package.json');
  const patch1 = semver.inc(base, 'patch')!;
  const patch2 = semver.inc(patch1, 'patch')!;
  const major = semver.inc(patch2, 'major')!;
  V = {
    base,
    patch1,
    patch2,
    major,
    majorPatch: semver.inc(major, 'patch')!,
    cdk: version('libs/cdk/package.json'),
  };
  instance = join(scratch, 'instance');
  spawnSync('mkdir', ['-p', instance]);
  writeFileSync(
    join(instance, 'conveyor.yml'),
    [
      'sources:',
      '  fake:',
      '    connector: faker',
      '    config: { count: 2000 }',
      '  bigfake:',
      '    connector: faker',
      '    config: { count: 600000 }',
      'destinations:',
      '  files:',
      '    connector: jsonl',
      '    config: { path: ./out }',
      'connections:',
      '  fake-to-files:',
      '    source: fake',
      '    destination: files',
      '  big:',
      '    source: bigfake',
      '    destination: files',
      '',
    ].join('\n'),
  );
}, 120_000);

afterAll(async () => {
  await registry?.stop();
  ws?.remove();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('releases reach a running instance', () => {
  it('publishes every public package of the workspace to the registry', async () => {
    release();
    expect(await published(FAKER)).toEqual([V.base]);
    expect(await published('@conveyor/cdk')).toEqual([V.cdk]);
    // private tools are never published
    await expect(fetchVersions(registry.url, '@conveyor/e2e')).rejects.toThrow(/is not on the registry/);
  });

  it('an instance installs the connector from the registry and syncs with it', () => {
    const installed = cli('connectors', 'install', FAKER);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(
      `Installed ${FAKER}@${V.base} (tried: spec, check (fake-to-files), discover`,
    );
    sync();
    expect(lastRun()).toMatchObject({ status: 'succeeded', sourceVersion: `faker@${V.base}` });
  });

  it('a patch release reaches the instance through its watcher, and the next sync runs it', async () => {
    const watcher = start(['connectors', 'watch', '--interval', '1']);
    let watched = '';
    watcher.stdout?.on('data', (c: Buffer) => {
      watched += c.toString();
    });
    try {
      changeFaker('patch', 'Check says the generator is ready.', 'src/index.ts', (text) =>
        text.replace(
          "return { status: 'SUCCEEDED' };",
          "return { status: 'SUCCEEDED', message: 'the generator is ready' };",
        ),
      );
      const output = release();
      expect(output).toContain(`${FAKER}@${V.patch1}`);
      expect(await published(FAKER)).toEqual([V.base, V.patch1]);
      expect(await published('@conveyor/cdk')).toEqual([V.cdk]); // only what changed is published
      await until(`the watcher to switch to ${V.patch1}`, () => current() === V.patch1, 90);
    } finally {
      watcher.kill('SIGTERM');
      await exited(watcher);
    }
    expect(watched).toContain(`updated ${V.base} -> ${V.patch1}`);
    sync();
    expect(lastRun()).toMatchObject({ status: 'succeeded', sourceVersion: `faker@${V.patch1}` });
  });

  it('holds a patch whose schema change breaks a connection until someone approves it', async () => {
    changeFaker('patch', 'Products move to their own connector.', 'src/index.ts', (text) =>
      text.replace(
        'FAKER_STREAMS.map(airbyteStream)',
        "FAKER_STREAMS.filter((s) => s.name !== 'products').map(airbyteStream)",
      ),
    );
    release();
    const held = cli('connectors', 'update');
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toContain(
      `stays on ${V.patch1}; ${V.patch2} is held: schema change that breaks a connection (connection "fake-to-files": stream "products" is gone`,
    );
    expect(current()).toBe(V.patch1);
    expect(cli('connectors', 'approve', `${FAKER}@${V.patch2}`, '--by', 'bob').code).toBe(0);
    expect(cli('connectors', 'update').stdout).toContain(`updated ${V.patch1} -> ${V.patch2}`);
  });

  it('holds a major with a declared breaking change until someone approves it', async () => {
    changeFaker('major', 'Users get first and last names.', 'package.json', (text) => {
      const manifest = JSON.parse(text) as { conveyor: Record<string, unknown> };
      manifest.conveyor.breakingChanges = {
        [V.major]: {
          message: 'users.name is split into first_name and last_name',
          affectedStreams: ['users'],
          migration: 'Refresh the users stream after upgrading.',
          deadline: '2099-01-01',
        },
      };
      return `${JSON.stringify(manifest, null, 2)}\n`;
    });
    release();
    expect(await published(FAKER)).toContain(V.major);

    const held = cli('connectors', 'update');
    expect(held.code, held.stderr).toBe(0);
    expect(held.stdout).toContain(
      `stays on ${V.patch2}; ${V.major} is held: breaking change (${V.major}: users.name is split into first_name and last_name); approve it with: conveyor connectors approve ${FAKER}@${V.major}`,
    );
    const outdated = JSON.parse(cli('connectors', 'outdated', '--json').stdout) as { held?: string }[];
    expect(outdated[0]?.held).toContain(`${V.major}: breaking change`);
    sync();
    expect(lastRun().sourceVersion).toBe(`faker@${V.patch2}`);

    const approved = cli('connectors', 'approve', `${FAKER}@${V.major}`, '--by', 'alice');
    expect(approved.code, approved.stderr).toBe(0);

    // a sync running while the update happens finishes on the version it started with
    const running = start(['sync', 'big', '-q']);
    running.stdout?.resume();
    running.stderr?.resume();
    await until('the long sync to start', () => lastRun('big')?.status === 'running', 30);
    const applied = cli('connectors', 'update');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      `updated ${V.patch2} -> ${V.major} (major update ${V.patch2} -> ${V.major} approved`,
    );
    const stillRunning = lastRun('big');
    // the folder the running sync loaded its code from is still there, untouched by the update
    const oldFolder = join(instance, '.conveyor/connectors/@conveyor/source-faker', V.patch2);
    const before = statSync(join(oldFolder, 'node_modules/@conveyor/source-faker/dist/index.js')).mtimeMs;
    expect(await exited(running)).toBe(0);
    expect(stillRunning.status).toBe('running');
    expect(lastRun('big')).toMatchObject({ status: 'succeeded', sourceVersion: `faker@${V.patch2}` });
    expect(statSync(join(oldFolder, 'node_modules/@conveyor/source-faker/dist/index.js')).mtimeMs).toBe(
      before,
    );

    sync();
    expect(lastRun()).toMatchObject({ status: 'succeeded', sourceVersion: `faker@${V.major}` });
    const history = JSON.parse(cli('connectors', 'history', FAKER, '--json').stdout) as {
      action: string;
      actor: string;
      to: string;
    }[];
    expect(history.find((e) => e.action === 'approve')).toMatchObject({ actor: 'alice', to: V.major });
    expect(history.find((e) => e.action === 'hold')).toMatchObject({ to: V.major });
    expect(history.filter((e) => e.action === 'update').map((e) => e.to)).toEqual([
      V.major,
      V.patch2,
      V.patch1,
    ]);
  });

  it('refuses a version whose check fails with the real config, and the old one keeps running', async () => {
    changeFaker('patch', 'A check that fails.', 'src/index.ts', (text) =>
      text.replace(
        "return { status: 'SUCCEEDED', message: 'the generator is ready' };",
        "return { status: 'FAILED', message: 'the generator lost its seed file' };",
      ),
    );
    release();
    expect(await published(FAKER)).toContain(V.majorPatch);
    const refused = cli('connectors', 'update');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(
      `stays on ${V.major}; ${V.majorPatch} was refused: check with the config of connection "fake-to-files" failed: the generator lost its seed file`,
    );
    expect(current()).toBe(V.major);
    sync();
    expect(lastRun().sourceVersion).toBe(`faker@${V.major}`);
    // the running version passes the same check, so the new one is to blame: not tried again
    expect(cli('connectors', 'update').stdout).toContain(
      `up to date (${V.major}); not taken again: ${V.majorPatch}`,
    );
  });

  it('rolls back to the version that ran before, and the policy does not bring the other back', () => {
    const back = cli('connectors', 'rollback', FAKER, '--reason', 'users dashboards broke');
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain(`back on ${V.patch2} (from ${V.major})`);
    sync();
    expect(lastRun().sourceVersion).toBe(`faker@${V.patch2}`);
    const again = cli('connectors', 'update');
    expect(again.stdout).toContain(`up to date (${V.patch2})`);
    expect(current()).toBe(V.patch2);
    // a second rollback has nowhere to go: it would only return to the version just refused
    expect(cli('connectors', 'rollback', FAKER).stderr).toMatch(/no earlier version to roll back to/);
    const events = JSON.parse(cli('connectors', 'history', FAKER, '--json').stdout) as {
      action: string;
      detail: string;
    }[];
    expect(events[0]).toMatchObject({ action: 'rollback', detail: 'users dashboards broke' });
  });
});
