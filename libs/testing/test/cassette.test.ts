// Record once against a service, replay offline: the cassette holds no secret, HTTPS is replayed
// through the proxy's own CA, and a request the cassette lacks fails the run with what it was.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAcceptance } from '../src/index.js';

const SOURCE = fileURLToPath(new URL('./fixtures/http-source.mjs', import.meta.url));
const KEY = 'sk-live-5f2e9a71c3';

function acceptance(dir: string, baseUrl: string): string {
  const file = join(dir, 'acceptance.yml');
  writeFileSync(
    file,
    [
      `connector: exec:${SOURCE}`,
      'configs:',
      `  - { name: api, config: { base_url: "${baseUrl}", api_key: "${KEY}" } }`,
      'invalid_configs:',
      '  - { name: no key, config: { base_url: "x" }, reason: api_key is required }',
      'cassette: cassette.json',
      'interruptions: 1',
      '',
    ].join('\n'),
  );
  return file;
}

describe('HTTP record and replay', () => {
  it('records against the service with secrets scrubbed, then replays without it, over HTTP and HTTPS', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push(url.pathname);
      if (url.searchParams.get('api_key') !== KEY) {
        res.writeHead(401).end();
        return;
      }
      const page = Number(url.searchParams.get('page'));
      const items = [1, 2, 3].map((i) => ({ id: (page - 1) * 3 + i, name: `item ${(page - 1) * 3 + i}` }));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items, next_page: page < 2 ? page + 1 : null }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'cassette-'));
    const recorded = await runAcceptance(acceptance(dir, base), { record: true, seed: 3 });
    await new Promise((r) => server.close(r));
    expect(recorded.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(seen.length).toBeGreaterThan(2);

    const cassette = readFileSync(join(dir, 'cassette.json'), 'utf8');
    expect(cassette).not.toContain(KEY);
    expect(cassette).not.toContain(encodeURIComponent(KEY));
    expect(cassette).toContain('api_key=****');
    expect(JSON.parse(cassette).interactions).toHaveLength(2); // two pages, each kept once

    // the service is gone: the replay answers alone
    const replayed = await runAcceptance(acceptance(dir, base), { seed: 3 });
    expect(replayed.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(replayed.results.find((r) => r.name === 'every HTTP request had a recorded answer')?.status).toBe(
      'passed',
    );

    // the same cassette for an https:// API: the proxy opens TLS with its own CA
    writeFileSync(join(dir, 'cassette.json'), cassette.replaceAll(base, 'https://api.example.test'));
    const https = await runAcceptance(acceptance(dir, 'https://api.example.test'), { seed: 3 });
    expect(https.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(
      https.results.find((r) => r.suite === 'basic_read' && r.name === 'a read completes')?.message,
    ).toMatch(/^6 records/);
  });

  it('takes the token from the environment, and a failed recording leaves the cassette as it was', async () => {
    const server = createServer((_req, res) => {
      res.writeHead(401).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const dir = mkdtempSync(join(tmpdir(), 'cassette-'));
    const file = acceptance(dir, base);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(`api_key: "${KEY}"`, 'api_key: "${TEST_API_KEY:-wrong-key-123}"'),
    );
    writeFileSync(join(dir, 'cassette.json'), '{"interactions": []}\n');
    const report = await runAcceptance(file, { record: true, seed: 3 });
    await new Promise((r) => server.close(r));
    expect(report.passed).toBe(false);
    expect(report.results.find((r) => r.name === 'HTTP traffic recorded')?.message).toMatch(
      /was left as it was/,
    );
    expect(readFileSync(join(dir, 'cassette.json'), 'utf8')).toBe('{"interactions": []}\n');
    // the stand-in key came from the ${...:-default}, and the service refused it
    expect(report.results.find((r) => r.suite === 'check')?.status).toBe('failed');
  });

  it('fails the run when the connector asks for something the cassette does not hold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cassette-'));
    writeFileSync(join(dir, 'cassette.json'), JSON.stringify({ interactions: [] }));
    const report = await runAcceptance(acceptance(dir, 'https://api.example.test'), { seed: 3 });
    const miss = report.results.find((r) => r.name === 'every HTTP request had a recorded answer');
    expect(miss?.status).toBe('failed');
    expect(miss?.message).toMatch(
      /request\(s\) not in .*cassette\.json, first: GET https:\/\/api\.example\.test\/items\?page=1&api_key=\*\*\*\*/,
    );
  });
});
