// Liveness and change detection against a local mock API whose shape changes between checks:
// each change classified, each schema policy applied by the next sync, exactly one webhook alert
// per transition, an unreachable destination named, and the sample bounded.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conveyorAsync, tempProject } from './cli.js';

const SOURCE = fileURLToPath(new URL('./fixtures/mock-api-source.mjs', import.meta.url));

interface MockStream {
  properties: Record<string, unknown>;
  primary_key?: string[][];
  records: Record<string, unknown>[];
}

const api: { healthy: boolean; streams: Record<string, MockStream>; dataRequests: number } = {
  healthy: true,
  streams: {},
  dataRequests: 0,
};
const alerts: Array<{ connection: string; kind: string; message: string; status: string }> = [];
let apiServer: Server;
let hookServer: Server;
let dir: string;

function users(
  count = 10,
  extra: (i: number) => Record<string, unknown> = () => ({}),
): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({ id: i + 1, name: `user ${i + 1}`, ...extra(i + 1) }));
}

function resetApi(): void {
  api.healthy = true;
  api.streams = {
    users: {
      properties: { id: { type: 'integer' }, name: { type: 'string' } },
      primary_key: [['id']],
      records: users(),
    },
    orders: {
      properties: { id: { type: 'integer' }, total: { type: 'number' } },
      records: [{ id: 1, total: 9.5 }],
    },
  };
}

const cli = (...args: string[]) => conveyorAsync(args, { cwd: dir });
const health = async (name = 'api-to-files') => {
  const r = await cli('health', name, '--json');
  return { code: r.code, report: (JSON.parse(r.stdout) as HealthJson[])[0]!, stderr: r.stderr };
};
const kinds = () => alerts.map((a) => a.kind);
const readOut = (folder: string, stream: string) =>
  existsSync(join(dir, folder, `${stream}.jsonl`))
    ? readFileSync(join(dir, folder, `${stream}.jsonl`), 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

interface HealthJson {
  status: string;
  failure?: string;
  changes: Array<{ kind: string; breaking: boolean; message: string }>;
  pending: Array<{ message: string }>;
  drift: Array<{ stream: string; field: string; share: number }>;
  sample: { records: number; perStream: Record<string, number> };
  alerts: Array<{ kind: string; delivered: string }>;
}

beforeAll(async () => {
  resetApi();
  apiServer = createServer((req, res) => {
    const url = req.url ?? '/';
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (!api.healthy) return json(500, { error: 'boom' });
    if (url === '/health') return json(200, { ok: true });
    if (url === '/schema') {
      return json(200, {
        streams: Object.entries(api.streams).map(([name, s]) => ({
          name,
          properties: s.properties,
          primary_key: s.primary_key,
        })),
      });
    }
    const stream = /^\/data\/(.+)$/.exec(url)?.[1];
    if (stream && api.streams[stream]) {
      api.dataRequests += 1;
      return json(200, api.streams[stream].records);
    }
    return json(404, { error: 'no such thing' });
  });
  hookServer = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      alerts.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await Promise.all([
    new Promise<void>((r) => apiServer.listen(0, '127.0.0.1', r)),
    new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r)),
  ]);
  const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  const hook = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/alerts`;
  const connection = (name: string, destination: string, policy: string) => [
    `  ${name}:`,
    '    source: api',
    `    destination: ${destination}`,
    `    schema_changes: ${policy}`,
  ];
  dir = tempProject(
    [
      'sources:',
      '  api:',
      `    connector: "exec:${SOURCE}"`,
      `    config: { base_url: "${apiUrl}" }`,
      'destinations:',
      ...['files', 'cols', 'all', 'hold', 'pause'].flatMap((d) => [
        `  ${d}:`,
        '    connector: jsonl',
        `    config: { path: ./${d} }`,
      ]),
      '  missing:',
      '    connector: no-such-destination',
      '    config: {}',
      '  unreachable:',
      '    connector: jsonl',
      '    config: { path: ./not-a-folder/out }',
      'connections:',
      ...connection('api-to-files', 'files', 'propagate_columns'),
      ...connection('api-cols', 'cols', 'propagate_columns'),
      ...connection('api-all', 'all', 'propagate_all'),
      ...connection('api-hold', 'hold', 'hold'),
      ...connection('api-pause', 'pause', 'pause'),
      ...connection('api-unreachable', 'unreachable', 'propagate_columns'),
      ...connection('api-missing', 'missing', 'propagate_columns'),
      'health: { sample_records: 5, drift_threshold: 0.2, alert_cooldown_minutes: 0 }',
      `alerts: { webhook: "${hook}" }`,
      '',
    ].join('\n'),
  );
  writeFileSync(join(dir, 'not-a-folder'), 'a file where the destination wants a folder');
}, 30_000);

afterAll(async () => {
  await Promise.all([new Promise((r) => apiServer?.close(r)), new Promise((r) => hookServer?.close(r))]);
});

describe('conveyor health', () => {
  it('is up on the first check, records the baseline, and alerts nothing', async () => {
    const { code, report } = await health();
    expect(code).toBe(0);
    expect(report).toMatchObject({ status: 'up', changes: [], drift: [] });
    expect(report.sample.perStream).toEqual({ users: 5, orders: 1 });
    expect(kinds()).toEqual([]);
  });

  it('classifies each change of the API and alerts each breaking one once', async () => {
    api.streams.users!.properties.email = { type: 'string' };
    let r = (await health()).report;
    expect(r.changes.map((c) => [c.kind, c.breaking])).toEqual([['column_added', false]]);
    expect(kinds()).toEqual([]);

    delete api.streams.users!.properties.name;
    r = (await health()).report;
    expect(r.changes.filter((c) => c.breaking).map((c) => c.message)).toEqual([
      'column "users.name" is gone',
    ]);
    expect(kinds()).toEqual(['schema_breaking']);
    await health(); // the same change again: no new alert
    expect(kinds()).toEqual(['schema_breaking']);

    api.streams.users!.properties.id = { type: 'string' };
    api.streams.users!.records = api.streams.users!.records.map((r) => ({ ...r, id: String(r.id) }));
    r = (await health()).report;
    expect(r.changes.find((c) => c.kind === 'type_changed')?.message).toBe(
      'column "users.id" changed type integer -> string',
    );
    expect(kinds()).toEqual(['schema_breaking', 'schema_breaking']);
    expect(alerts[1]?.message).toContain('users.id');
    expect(alerts[1]?.message).not.toContain('users.name'); // said once already

    delete api.streams.orders;
    r = (await health()).report;
    expect(r.changes.find((c) => c.kind === 'stream_removed')).toMatchObject({
      breaking: true,
      message: 'stream "orders" is gone',
    });
    expect(kinds()).toEqual(['schema_breaking', 'schema_breaking', 'schema_breaking']);
  });

  it('goes down when the API fails, says so once, and says when it is back', async () => {
    api.healthy = false;
    const down = await health();
    expect(down.code).toBe(1);
    expect(down.report.status).toBe('down');
    expect(down.report.failure).toMatch(
      /^source exec:.*: the API is not answering: \/health answered HTTP 500/,
    );
    await health(); // still down: no second alert
    expect(kinds().slice(-1)).toEqual(['down']);
    expect(kinds().filter((k) => k === 'down')).toHaveLength(1);
    api.healthy = true;
    expect((await health()).report.status).toBe('up');
    expect(kinds().slice(-2)).toEqual(['down', 'recovered']);
  });

  it('catches drift: the API still answers but a field no longer matches its declared type', async () => {
    resetApi();
    await cli('schema', 'approve', 'api-to-files');
    const before = alerts.length;
    api.streams.users!.records = users(10, (i) => (i % 2 ? { id: `u-${i}` } : {}));
    const r = (await health()).report;
    expect(r.drift).toEqual([expect.objectContaining({ stream: 'users', field: 'id', share: 0.6 })]);
    expect(alerts.slice(before).map((a) => a.kind)).toEqual(['drift']);
    expect(alerts.at(-1)?.message).toMatch(/users\.id in 60% of the sample \(arriving as a string\)/);
    await health();
    expect(alerts.length).toBe(before + 1); // still drifting: said once
    resetApi();
  });

  it('names the destination when it is the side that is down', async () => {
    const { report } = await health('api-unreachable');
    expect(report.status).toBe('down');
    expect(report.failure).toMatch(/^destination jsonl: /);
  });

  it('reports a connection whose destination cannot be loaded as down, and checks the others', async () => {
    const r = await cli('health', 'api-missing', 'api-to-files', '--json');
    expect(r.code).toBe(1);
    const [missing, files] = JSON.parse(r.stdout) as HealthJson[];
    expect(missing).toMatchObject({ status: 'down' });
    expect(missing?.failure).toMatch(/^destination no-such-destination: .*not installed/);
    expect(files?.status).toBe('up');
  });

  it('reads a bounded sample however many streams there are', async () => {
    resetApi();
    for (let i = 0; i < 20; i++) {
      api.streams[`s${i}`] = {
        properties: { id: { type: 'integer' } },
        records: Array.from({ length: 1000 }, (_, n) => ({ id: n })),
      };
    }
    delete api.streams.users;
    delete api.streams.orders;
    await cli('schema', 'approve', 'api-to-files');
    const { report } = await health();
    expect(report.sample.records).toBe(20 * 5);
    expect(Object.values(report.sample.perStream).every((n) => n === 5)).toBe(true);
    resetApi();
    await cli('schema', 'approve', 'api-to-files');
  });
});

describe('schema change policies, applied by the next sync', () => {
  const sync = (name: string) => cli('sync', name, '-q');

  it('every connection starts from the same baseline', async () => {
    resetApi();
    for (const name of ['api-cols', 'api-all', 'api-hold', 'api-pause'])
      expect((await sync(name)).code).toBe(0);
    api.streams.users!.properties.email = { type: 'string' };
    api.streams.users!.records = users(10, (i) => ({ email: `u${i}@example.test` }));
    api.streams.refunds = { properties: { id: { type: 'integer' } }, records: [{ id: 7 }] };
  });

  it('propagate_columns takes the new column, and the new stream waits for approval', async () => {
    expect((await sync('api-cols')).code).toBe(0);
    expect(readOut('cols', 'users').at(-1)).toHaveProperty('email');
    expect(readOut('cols', 'refunds')).toEqual([]);
    expect((await cli('schema', 'diff', 'api-cols')).stdout).toMatch(/stream_added +\| refunds/);
    await cli('schema', 'approve', 'api-cols');
    expect((await sync('api-cols')).code).toBe(0);
    expect(readOut('cols', 'refunds')).toEqual([{ id: 7 }]);
  });

  it('propagate_all takes the new column and the new stream', async () => {
    expect((await sync('api-all')).code).toBe(0);
    expect(readOut('all', 'users').at(-1)).toHaveProperty('email');
    expect(readOut('all', 'refunds')).toEqual([{ id: 7 }]);
  });

  it('hold applies nothing until approved', async () => {
    const held = await sync('api-hold');
    expect(held.code).toBe(0);
    expect(held.stderr).toMatch(/2 schema change\(s\) wait for approval/);
    expect(readOut('hold', 'users').at(-1)).not.toHaveProperty('email');
    expect(readOut('hold', 'refunds')).toEqual([]);
    await cli('schema', 'approve', 'api-hold');
    expect((await sync('api-hold')).code).toBe(0);
    expect(readOut('hold', 'users').at(-1)).toHaveProperty('email');
  });

  it('pause stops syncs on a breaking change until it is approved', async () => {
    delete api.streams.users!.properties.name;
    const paused = await sync('api-pause');
    expect(paused.code).toBe(2);
    expect(paused.stderr).toMatch(
      /api-pause is paused by a breaking schema change: column "users\.name" is gone/,
    );
    await cli('schema', 'approve', 'api-pause');
    expect((await sync('api-pause')).code).toBe(0);
  });

  it('keeps a history of checks and alerts', async () => {
    const history = JSON.parse(
      (await cli('health', 'history', 'api-to-files', '--json', '--limit', '100')).stdout,
    ) as {
      checks: unknown[];
      alerts: Array<{ kind: string; delivered: string }>;
    };
    expect(history.checks.length).toBeGreaterThan(8);
    expect(history.alerts.map((a) => a.kind).reverse()).toEqual(
      kinds().filter((_, i) => alerts[i]?.connection === 'api-to-files'),
    );
    expect(history.alerts.every((a) => a.delivered === 'log, webhook')).toBe(true);
  });
});
