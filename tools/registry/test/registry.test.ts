import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRegistry, startRegistry } from '../src/index.js';

let dir: string;
let registry: LocalRegistry;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'registry-test-'));
  registry = await startRegistry({ dir });
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the local registry', () => {
  it('listens on loopback and knows the local user by its token', async () => {
    expect(registry.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const res = await fetch(`${registry.url}-/whoami`, {
      headers: { authorization: `Bearer ${registry.token}` },
    });
    expect(await res.json()).toEqual({ username: 'conveyor' });
  });

  it('has no upstream: a public package it does not hold is not found', async () => {
    const res = await fetch(`${registry.url}left-pad`);
    expect(res.status).toBe(404);
  });

  it('keeps the token in an .npmrc only its owner can read', () => {
    expect(statSync(registry.npmrc).mode & 0o077).toBe(0);
  });

  it('says so when the port is taken', async () => {
    const port = Number(new URL(registry.url).port);
    await expect(startRegistry({ dir: join(dir, 'second'), port })).rejects.toThrow(/already in use.*--port/);
  });
});
