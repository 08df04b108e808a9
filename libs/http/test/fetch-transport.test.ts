import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchTransport, HttpClient, NetworkError, responseJson, virtualClock } from '../src/index.js';

let server: Server;
let base: string;
const hanging = new Set<import('node:http').ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hang')) {
      hanging.add(res); // never answers
      return;
    }
    if (req.url === '/gzip') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ zipped: true })));
      return;
    }
    if (req.url === '/echo') {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        res.setHeader('Set-Cookie', ['a=1', 'b=2']);
        res.setHeader('X-Custom', 'Yes');
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body }));
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('fetchTransport', () => {
  it('sends method, headers and body and returns status, lower-cased headers and the body bytes', async () => {
    const transport = fetchTransport();
    const response = await transport({
      method: 'POST',
      url: `${base}/echo`,
      headers: { Authorization: 'Bearer t' },
      body: new TextEncoder().encode('hello'),
    });
    expect(response.status).toBe(201);
    expect(response.headers['x-custom']).toBe('Yes');
    expect(response.headers['set-cookie']).toBe('a=1, b=2');
    expect(responseJson(response)).toEqual({ method: 'POST', auth: 'Bearer t', body: 'hello' });
    expect(response.body).toBeInstanceOf(Uint8Array);
  });

  it('sends a GET that carries a body (fetch refuses one; some APIs want it)', async () => {
    const response = await fetchTransport()({
      method: 'GET',
      url: `${base}/echo`,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'q=1',
    });
    expect(response.status).toBe(201);
    expect(response.headers['x-custom']).toBe('Yes');
    expect(responseJson(response)).toEqual({ method: 'GET', body: 'q=1' });
  });

  it('decodes a gzip Content-Encoding as fetch does', async () => {
    const response = await fetchTransport()({ method: 'GET', url: `${base}/gzip`, headers: {} });
    expect(responseJson(response)).toEqual({ zipped: true });
  });

  it('times out a server that never answers, with a NetworkError of kind timeout and no query string', async () => {
    const started = Date.now();
    const error = await fetchTransport()({
      method: 'GET',
      url: `${base}/hang?token=SECRET-QUERY`,
      headers: {},
      timeoutMs: 150,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).kind).toBe('timeout');
    expect((error as NetworkError).message).toContain('/hang');
    expect((error as NetworkError).message).not.toContain('SECRET-QUERY');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('the client retries timeouts and then fails with a transient error', async () => {
    const client = new HttpClient({
      transport: fetchTransport(),
      clock: virtualClock(),
      timeoutMs: 100,
      maxRetries: 1,
    });
    const error = await client
      .send({ method: 'GET', url: `${base}/hang`, headers: {} })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('2 attempts');
    expect((error as Error).message).toContain('no complete answer within 100 ms');
  });

  it('reports a refused connection as kind refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await fetchTransport()({
      method: 'GET',
      url: `http://127.0.0.1:${port}/x`,
      headers: {},
    }).catch((e: unknown) => e);
    expect((error as NetworkError).kind).toBe('refused');
  });

  it('reports a caller abort as kind aborted', async () => {
    const controller = new AbortController();
    const pending = fetchTransport()({ method: 'GET', url: `${base}/hang`, headers: {} }, controller.signal);
    setTimeout(() => controller.abort(), 20);
    const error = await pending.catch((e: unknown) => e);
    expect((error as NetworkError).kind).toBe('aborted');
  });
});
