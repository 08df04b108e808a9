// The packaged SQLite source as an orchestrator runs it: check names a missing file, discover and
// read a database file, and a read resumed from a mid-table checkpoint repeats and misses nothing.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AirbyteMessage, ConfiguredCatalog } from '@conveyor/protocol';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { source } from '../src/index.js';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const ctx = () => ({
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  signal: new AbortController().signal,
});

let dir: string;
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'source-sqlite-'));
  const db = new Database(file('shop.db'));
  db.exec(`
    CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price DECIMAL(8,2), modified_at DATETIME);
    CREATE VIEW cheap AS SELECT id, name FROM products WHERE price < 10;
  `);
  const insert = db.prepare('INSERT INTO products VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 12_000; i++)
      insert.run(i, `product ${i}`, i % 20, `2024-01-01 00:00:${String(i % 60).padStart(2, '0')}`);
  })();
  db.close();
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('connector', () => {
  it('check names the path of a missing file', async () => {
    const status = await source.check({ path: file('missing.db') }, ctx());
    expect(status).toEqual({
      status: 'FAILED',
      message: `The SQLite database file ${file('missing.db')} does not exist. Check the "path" field.`,
    });
  });

  it('discover offers tables and views, proposing modified_at as the cursor', async () => {
    const catalog = await source.discover({ path: file('shop.db') }, ctx());
    expect(catalog.streams.map((s) => s.name)).toEqual(['cheap', 'products']);
    const products = catalog.streams[1];
    expect(products?.default_cursor_field).toEqual(['modified_at']);
    expect(products?.source_defined_primary_key).toEqual([['id']]);
  });
});

interface Run {
  code: number;
  messages: AirbyteMessage[];
}

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { maxBuffer: 256 << 20, env: { ...process.env, ...env } },
      (error, stdout) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        const messages = stdout
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as AirbyteMessage);
        resolve({ code, messages });
      },
    );
  });
}

describe('command line', () => {
  it('a full refresh resumed from a mid-table checkpoint yields exactly the remaining rows', async () => {
    if (!existsSync(MAIN))
      throw new Error('dist/main.js is missing: build the package first (npm run build)');
    await writeFile(file('config.json'), JSON.stringify({ path: file('shop.db') }));
    const catalogMessage = (await run(['discover', '--config', file('config.json')])).messages.find(
      (m) => m.type === 'CATALOG',
    ) as Extract<AirbyteMessage, { type: 'CATALOG' }>;
    const products = catalogMessage.catalog.streams.find((s) => s.name === 'products')!;
    const catalog: ConfiguredCatalog = {
      streams: [
        { stream: products, sync_mode: 'full_refresh', destination_sync_mode: 'append', generation_id: 1 },
      ],
    };
    await writeFile(file('catalog.json'), JSON.stringify(catalog));
    // checkpoints every 1,000 records
    const whole = await run(['read', '--config', file('config.json'), '--catalog', file('catalog.json')], {
      CONVEYOR_CHECKPOINT_RECORDS: '1000',
    });
    expect(whole.code).toBe(0);
    const ids = (messages: AirbyteMessage[]) =>
      messages.flatMap((m) => (m.type === 'RECORD' ? [m.record.data.id as number] : []));
    expect(ids(whole.messages)).toEqual(Array.from({ length: 12_000 }, (_, i) => i + 1));
    const states = whole.messages.filter((m) => m.type === 'STATE') as Extract<
      AirbyteMessage,
      { type: 'STATE' }
    >[];
    expect(states.length).toBeGreaterThan(2);
    // as if the sync was killed after the third checkpoint was committed
    const third = states[2]!;
    const committed = whole.messages.slice(0, whole.messages.indexOf(third));
    await writeFile(file('state.json'), JSON.stringify([third.state]));
    const resumed = await run([
      'read',
      '--config',
      file('config.json'),
      '--catalog',
      file('catalog.json'),
      '--state',
      file('state.json'),
    ]);
    expect([...ids(committed), ...ids(resumed.messages)]).toEqual(ids(whole.messages));
  });
});
