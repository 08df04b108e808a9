import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ConveyorError } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { fetchVersions, InstalledStore, tokenFor } from '../src/index.js';
import { tempDir } from './helpers.js';

describe('InstalledStore', () => {
  it('keeps the version each switch replaced, for a rollback, and records who did what', () => {
    const store = new InstalledStore(join(tempDir(), 'state.db'));
    store.addVersion('@x/source-a', '1.0.0', '/f/1.0.0');
    store.switchTo('@x/source-a', '1.0.0', {
      action: 'install',
      actor: 'ann',
      detail: 'first',
      registry: 'http://r/',
    });
    store.addVersion('@x/source-a', '1.0.1', '/f/1.0.1');
    store.switchTo('@x/source-a', '1.0.1', { action: 'update', actor: 'bot', detail: 'patch' });
    expect(store.get('@x/source-a')).toMatchObject({
      version: '1.0.1',
      previous: '1.0.0',
      registry: 'http://r/',
      policy: { auto: 'minor', major: 'approve' },
    });
    expect(store.get('@x/source-a')?.versions.sort()).toEqual(['1.0.0', '1.0.1']);
    expect(store.folder('@x/source-a', '1.0.0')).toBe('/f/1.0.0');
    expect(store.history('@x/source-a').map((e) => [e.action, e.from, e.to, e.actor])).toEqual([
      ['update', '1.0.0', '1.0.1', 'bot'],
      ['install', null, '1.0.0', 'ann'],
    ]);
  });

  it('an approval lifts an earlier refusal of the same version', () => {
    const store = new InstalledStore(join(tempDir(), 'state.db'));
    store.mark('p', '2.0.0', 'refused', 'bot', 'check failed');
    expect([...store.marked('p', 'refused').keys()]).toEqual(['2.0.0']);
    store.mark('p', '2.0.0', 'approved', 'ann', 'approved');
    expect(store.marked('p', 'refused').size).toBe(0);
    expect(store.marked('p', 'approved').get('2.0.0')?.actor).toBe('ann');
  });
});

describe('InstalledStore switching and locking', () => {
  it('does not switch when the connector changed since the decision (pinned, moved, or the candidate refused)', () => {
    const store = new InstalledStore(join(tempDir(), 'state.db'));
    store.switchTo('p', '1.0.0', { action: 'install', actor: 'a', detail: '', registry: 'http://r/' });
    const update = (to: string, from: string) =>
      store.switchTo('p', to, { action: 'update', actor: 'bot', detail: '', expected: { current: from } });
    expect(update('1.0.1', '0.9.0')).toBe(false); // someone else moved it
    store.mark('p', '1.0.1', 'refused', 'ann', 'rolled back');
    expect(update('1.0.1', '1.0.0')).toBe(false);
    store.setPinned('p', true, 'ann');
    expect(update('1.0.2', '1.0.0')).toBe(false);
    store.setPinned('p', false, 'ann');
    expect(update('1.0.2', '1.0.0')).toBe(true);
    expect(store.get('p')).toMatchObject({ version: '1.0.2', previous: '1.0.0' });
  });

  it('lets one process at a time change connectors, and takes over the lock of a dead one', () => {
    const file = join(tempDir(), 'state.db');
    const a = new InstalledStore(file);
    const b = new InstalledStore(file);
    expect(a.lock(process.ppid)).toEqual({ ok: true }); // held by a live process (our parent)
    expect(b.lock()).toEqual({ ok: false, holder: process.ppid });
    a.unlock(process.ppid);
    expect(b.lock()).toEqual({ ok: true });
    b.unlock();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    expect(a.lock(dead)).toEqual({ ok: true });
    expect(b.lock()).toEqual({ ok: true });
  });
});

describe('fetchVersions', () => {
  it('reads versions and the connector metadata of each from a registry document', async () => {
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          versions: {
            '1.0.0': { conveyor: { protocolVersion: '0.5.2' } },
            '2.0.0': {
              conveyor: {
                protocolVersion: '0.5.2',
                breakingChanges: {
                  '2.0.0': { message: 'ids are strings', affectedStreams: ['users'], migration: 'refresh' },
                },
              },
            },
          },
          time: { '1.0.0': '2026-01-01T00:00:00.000Z' },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const versions = await fetchVersions(url, '@x/source-a');
      expect(versions).toEqual([
        {
          version: '1.0.0',
          publishedAt: '2026-01-01T00:00:00.000Z',
          protocolVersion: '0.5.2',
          breakingChanges: {},
        },
        {
          version: '2.0.0',
          protocolVersion: '0.5.2',
          breakingChanges: {
            '2.0.0': { message: 'ids are strings', affectedStreams: ['users'], migration: 'refresh' },
          },
        },
      ]);
    } finally {
      server.close();
    }
  });

  it('an unknown package is a config error, an unreachable registry a transient one', async () => {
    const server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end('{"error":"not found"}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const missing = await fetchVersions(`http://127.0.0.1:${port}/`, '@x/nope').catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(ConveyorError);
      expect((missing as ConveyorError).failureType).toBe('config_error');
      expect((missing as ConveyorError).userMessage).toMatch(/@x\/nope is not on the registry/);
    } finally {
      await new Promise((r) => server.close(r));
    }
    const down = await fetchVersions(`http://127.0.0.1:${port}/`, '@x/a').catch((e: unknown) => e);
    expect((down as ConveyorError).failureType).toBe('transient_error');
    expect((down as ConveyorError).userMessage).toMatch(/did not answer/);
    await expect(fetchVersions('not a url', '@x/a')).rejects.toThrow(/is not a URL/);
    await expect(fetchVersions('http://me:hunter22@127.0.0.1:1/', '@x/a')).rejects.toThrow(
      /holds a user name or password\. Give the URL without them/,
    );
  });

  it('sends the registry token only to the registry it was set for', () => {
    const saved = { token: process.env.CONVEYOR_REGISTRY_TOKEN, registry: process.env.CONVEYOR_REGISTRY };
    process.env.CONVEYOR_REGISTRY_TOKEN = 'tok-123456';
    process.env.CONVEYOR_REGISTRY = 'http://127.0.0.1:4873/';
    try {
      expect(tokenFor('http://127.0.0.1:4873/@x%2fa')).toBe('tok-123456');
      expect(tokenFor('https://registry.npmjs.org/@x%2fa')).toBeUndefined();
    } finally {
      for (const [key, value] of [
        ['CONVEYOR_REGISTRY_TOKEN', saved.token],
        ['CONVEYOR_REGISTRY', saved.registry],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
