import { ConveyorError } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import {
  apiKeyAuth,
  bearerAuth,
  HttpClient,
  type HttpRequest,
  HttpResponseError,
  NetworkError,
  oauth2RefreshAuth,
  scriptedTransport,
  virtualClock,
} from '../src/index.js';

const get = (url = 'https://api.example.com/v1/users?api_key=SECRETKEY123&page=2'): HttpRequest => ({
  method: 'GET',
  url,
  headers: {},
});

async function failure(promise: Promise<unknown>): Promise<ConveyorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConveyorError) return error;
    throw error;
  }
  throw new Error('expected the request to fail');
}

describe('HttpClient retries', () => {
  it('waits as long as Retry-After says (seconds) before retrying a 429', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport([
      { status: 429, headers: { 'Retry-After': '7' } },
      { json: { ok: true } },
    ]);
    const client = new HttpClient({ transport, clock });
    const response = await client.send(get());
    expect(response.status).toBe(200);
    expect(transport.requests).toHaveLength(2);
    expect(clock.sleeps).toEqual([7000]);
  });

  it('waits until the HTTP date Retry-After names', async () => {
    const clock = virtualClock(Date.UTC(2024, 0, 1, 12, 0, 0));
    const transport = scriptedTransport([
      { status: 429, headers: { 'retry-after': 'Mon, 01 Jan 2024 12:00:30 GMT' } },
      { status: 200 },
    ]);
    await new HttpClient({ transport, clock }).send(get());
    expect(clock.sleeps).toEqual([30_000]);
  });

  it('backs off exponentially (1 s, 2 s, 4 s ...) without Retry-After', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport([{ status: 503 }, { status: 502 }, { status: 500 }, { status: 200 }]);
    await new HttpClient({ transport, clock }).send(get());
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  it('a 500 storm exhausts the retries with a transient error naming stream, request, status, body and attempts', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport(() => ({
      status: 500,
      body: '<html><body>Internal error for key SECRETKEY123, bearer TOKEN-XYZ-789</body></html>',
    }));
    const client = new HttpClient({
      transport,
      clock,
      authenticator: bearerAuth('TOKEN-XYZ-789'),
      stream: 'users',
    });
    const error = await failure(client.send(get()));
    expect(error).toBeInstanceOf(HttpResponseError);
    expect(error.failureType).toBe('transient_error');
    expect(error.stream).toEqual({ name: 'users' });
    expect(transport.requests).toHaveLength(6);
    expect(error.message).toContain('Stream "users"');
    expect(error.message).toContain('GET https://api.example.com/v1/users');
    expect(error.message).toContain('HTTP 500');
    expect(error.message).toContain('6 attempts');
    expect(error.message).toContain('Internal error');
    // never the query string, the key it carries, or the token
    expect(error.message).not.toContain('SECRETKEY123');
    expect(error.message).not.toContain('TOKEN-XYZ-789');
    expect(error.message).not.toContain('page=2');
    expect((error as HttpResponseError).attempts).toBe(6);
  });

  it('caps the body snippet at 200 characters', async () => {
    const transport = scriptedTransport(() => ({ status: 400, body: 'x'.repeat(5000) }));
    const error = await failure(new HttpClient({ transport, clock: virtualClock() }).send(get()));
    const snippet = /"(x+)…?"/.exec(error.message)?.[1] ?? '';
    expect(snippet.length).toBeGreaterThan(100);
    expect(snippet.length).toBeLessThanOrEqual(200);
  });

  it('retries network errors and reports the last one when they persist', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport(() => ({ networkError: 'reset' }));
    const error = await failure(new HttpClient({ transport, clock, maxRetries: 2 }).send(get()));
    expect(error.failureType).toBe('transient_error');
    expect(error.message).toContain('3 attempts');
    expect(error.message).toContain('no response');
    expect(error.message).not.toContain('SECRETKEY123');
  });

  it('recovers when a network error is followed by an answer', async () => {
    const transport = scriptedTransport([{ networkError: 'refused' }, { json: [1] }]);
    const response = await new HttpClient({ transport, clock: virtualClock() }).send(get());
    expect(response.status).toBe(200);
  });

  it('stops retrying when the next wait would pass maxRetryTimeMs', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport(() => ({ status: 429, headers: { 'retry-after': '3600' } }));
    const error = await failure(new HttpClient({ transport, clock, maxRetryTimeMs: 60_000 }).send(get()));
    expect(transport.requests).toHaveLength(1);
    expect(error.message).toContain('rate limit');
    expect(clock.sleeps).toEqual([]);
  });

  it('fails at once on 403 as a config error and on 404 as a system error', async () => {
    const forbidden = await failure(
      new HttpClient({ transport: scriptedTransport([{ status: 403 }]), clock: virtualClock() }).send(get()),
    );
    expect(forbidden.failureType).toBe('config_error');
    expect(forbidden.message).toContain('forbidden');
    const missing = await failure(
      new HttpClient({ transport: scriptedTransport([{ status: 404 }]), clock: virtualClock() }).send(get()),
    );
    expect(missing.failureType).toBe('system_error');
  });

  it('fails a 401 with static credentials without retrying, as a config error', async () => {
    const transport = scriptedTransport([{ status: 401, body: 'bad key SECRETKEY123' }]);
    const client = new HttpClient({
      transport,
      clock: virtualClock(),
      authenticator: apiKeyAuth({ queryParam: 'api_key', value: 'SECRETKEY123' }),
    });
    const error = await failure(client.send(get('https://api.example.com/v1/users')));
    expect(transport.requests).toHaveLength(1);
    expect(error.failureType).toBe('config_error');
    expect(error.message).not.toContain('SECRETKEY123');
  });

  it('a custom classifier can ignore a response, which the caller sees flagged', async () => {
    const transport = scriptedTransport([{ status: 404, json: { message: 'gone' } }]);
    const client = new HttpClient({
      transport,
      clock: virtualClock(),
      classify: (response) =>
        response?.status === 404 ? { action: 'ignore', message: 'parent deleted' } : { action: 'success' },
    });
    const response = await client.send(get());
    expect(response.status).toBe(404);
    expect(response.ignored).toEqual({ message: 'parent deleted' });
  });

  it('honours a backoff the classifier sets and a failure type for exhausted retries', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport(() => ({ status: 200, json: { status: 'pending' } }));
    const client = new HttpClient({
      transport,
      clock,
      maxRetries: 2,
      classify: () => ({
        action: 'retry',
        backoffMs: 250,
        failureType: 'system',
        message: 'job still pending',
      }),
    });
    const error = await failure(client.send(get()));
    expect(clock.sleeps).toEqual([250, 250]);
    expect(error.failureType).toBe('system_error');
    expect(error.message).toContain('job still pending');
  });

  it('rejects an invalid URL as a config error before sending', async () => {
    const transport = scriptedTransport([]);
    const error = await failure(
      new HttpClient({ transport }).send({ method: 'GET', url: 'api.example.com', headers: {} }),
    );
    expect(error.failureType).toBe('config_error');
    expect(transport.requests).toHaveLength(0);
  });

  it('passes the per-attempt timeout to the transport', async () => {
    const transport = scriptedTransport([{ status: 200 }, { status: 200 }]);
    const client = new HttpClient({ transport, timeoutMs: 1234 });
    await client.send(get());
    await client.send({ ...get(), timeoutMs: 99 });
    expect(transport.requests.map((r) => r.timeoutMs)).toEqual([1234, 99]);
  });

  it('stops waiting when the caller aborts', async () => {
    const transport = scriptedTransport(() => ({ status: 503 }));
    const controller = new AbortController();
    const clock = virtualClock();
    const sleep = clock.sleep;
    clock.sleep = async (ms, signal) => {
      controller.abort(new Error('sync cancelled'));
      return sleep(ms, signal);
    };
    await expect(
      new HttpClient({ transport, clock }).send(get(), { signal: controller.signal }),
    ).rejects.toThrow('sync cancelled');
    expect(transport.requests).toHaveLength(1);
  });
});

describe('HttpClient with OAuth', () => {
  it('a 401 refreshes the token once and resends', async () => {
    const clock = virtualClock();
    let tokens = 0;
    const transport = scriptedTransport((request) => {
      if (request.url.startsWith('https://auth.example.com')) {
        tokens++;
        return { json: { access_token: `access-${tokens}`, expires_in: 3600 } };
      }
      return request.headers.Authorization === 'Bearer access-1' ? { status: 401 } : { json: { ok: true } };
    });
    const client = new HttpClient({
      transport,
      clock,
      authenticator: oauth2RefreshAuth({
        tokenEndpoint: 'https://auth.example.com/token',
        clientId: 'id',
        clientSecret: 'CLIENT-SECRET-1',
        refreshToken: 'REFRESH-1',
        transport,
        clock,
      }),
    });
    const response = await client.send(get());
    expect(response.status).toBe(200);
    expect(tokens).toBe(2);
    expect(transport.requests.map((r) => new URL(r.url).host)).toEqual([
      'auth.example.com',
      'api.example.com',
      'auth.example.com',
      'api.example.com',
    ]);
  });

  it('a second 401 after the refresh fails as a config error', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport((request) =>
      request.url.startsWith('https://auth.example.com')
        ? { json: { access_token: 'ACCESS-TOKEN-1', expires_in: 3600 } }
        : { status: 401, body: 'token ACCESS-TOKEN-1 rejected' },
    );
    const client = new HttpClient({
      transport,
      clock,
      authenticator: oauth2RefreshAuth({
        tokenEndpoint: 'https://auth.example.com/token',
        clientId: 'id',
        clientSecret: 'CLIENT-SECRET-1',
        refreshToken: 'REFRESH-1',
        transport,
        clock,
      }),
    });
    const error = await failure(client.send(get()));
    expect(error.failureType).toBe('config_error');
    expect(transport.requests).toHaveLength(4);
    expect(error.message).not.toContain('ACCESS-TOKEN-1');
  });
});

describe('NetworkError', () => {
  it('is a transient ConveyorError with a kind', () => {
    const error = new NetworkError('dns', 'x');
    expect(error).toBeInstanceOf(ConveyorError);
    expect(error.failureType).toBe('transient_error');
    expect(error.kind).toBe('dns');
  });
});
