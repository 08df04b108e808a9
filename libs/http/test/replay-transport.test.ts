// Replaying recorded exchanges: the n-th request is answered by the n-th exchange when it has the
// same method and URL (query parameters in any order), and a request that differs, or one past the
// end, gets a 400 naming what was sent and what the fixture expected.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  HttpClient,
  type HttpRequest,
  type RecordedExchange,
  readExchanges,
  replayTransport,
  responseJson,
  responseText,
} from '../src/index.js';

const exchanges: RecordedExchange[] = [
  {
    request: { method: 'GET', url: 'https://api.test/v1/items?limit=2&cursor=a' },
    response: { json: { data: [1, 2] }, headers: { 'x-page': '1' } },
  },
  { request: { method: 'GET', url: 'https://api.test/v1/items?cursor=b' }, response: { status: 204 } },
];

const get = (url: string): HttpRequest => ({ method: 'GET', url, headers: {} });

describe('replayTransport', () => {
  it('answers each request with the response of the exchange at its position', async () => {
    const transport = replayTransport(exchanges);
    const first = await transport(get('https://api.test/v1/items?limit=2&cursor=a'));
    expect(first.status).toBe(200);
    expect(first.headers['x-page']).toBe('1');
    expect(responseJson(first)).toEqual({ data: [1, 2] });
    const second = await transport(get('https://api.test/v1/items?cursor=b'));
    expect(second.status).toBe(204);
    expect(transport.requests.map((r) => r.url)).toEqual([
      'https://api.test/v1/items?limit=2&cursor=a',
      'https://api.test/v1/items?cursor=b',
    ]);
  });

  it('ignores the order of query parameters', async () => {
    const response = await replayTransport(exchanges)(get('https://api.test/v1/items?cursor=a&limit=2'));
    expect(response.status).toBe(200);
  });

  it('answers a request that differs with a 400 naming what was sent and what the fixture has', async () => {
    const transport = replayTransport(exchanges);
    await transport(get('https://api.test/v1/items?limit=2&cursor=a'));
    const response = await transport({
      method: 'POST',
      url: 'https://api.test/v1/items?cursor=c',
      headers: {},
    });
    expect(response.status).toBe(400);
    expect(responseText(response)).toBe(
      'fixture mismatch at request 2: got POST https://api.test/v1/items?cursor=c, ' +
        'the fixture has GET https://api.test/v1/items?cursor=b',
    );
  });

  it('tells a different host apart from the recorded one', async () => {
    const response = await replayTransport(exchanges)(get('https://other.test/v1/items?limit=2&cursor=a'));
    expect(response.status).toBe(400);
  });

  it('answers a request past the last exchange with a 400 saying the fixture has no more', async () => {
    const transport = replayTransport(exchanges.slice(0, 1));
    await transport(get('https://api.test/v1/items?limit=2&cursor=a'));
    const response = await transport(get('https://api.test/v1/items?cursor=b'));
    expect(response.status).toBe(400);
    expect(responseText(response)).toBe(
      'fixture mismatch at request 2: got GET https://api.test/v1/items?cursor=b, the fixture has no more requests',
    );
  });

  it('ends a client read at once on a mismatch, without retrying', async () => {
    const transport = replayTransport([]);
    const client = new HttpClient({ transport });
    await expect(client.send(get('https://api.test/v1/items'))).rejects.toThrow(
      /fixture mismatch at request 1/,
    );
    expect(transport.requests).toHaveLength(1);
  });
});

describe('readExchanges', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-exchanges-'));

  it('reads the exchanges of a fixture file, from a path or a file URL', () => {
    const file = join(dir, 'items.json');
    writeFileSync(file, JSON.stringify({ exchanges }));
    expect(readExchanges(file)).toEqual(exchanges);
    expect(readExchanges(pathToFileURL(file))).toEqual(exchanges);
  });

  it('names the file when it is missing, not JSON, or has no exchanges list', () => {
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ "exchanges": [');
    const noList = join(dir, 'no-list.json');
    writeFileSync(noList, '{ "requests": [] }');
    expect(() => readExchanges(join(dir, 'missing.json'))).toThrow(/missing\.json/);
    expect(() => readExchanges(notJson)).toThrow(/broken\.json.*holds JSON/);
    expect(() => readExchanges(noList)).toThrow(/no-list\.json has no "exchanges" list/);
  });
});
