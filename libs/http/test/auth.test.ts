import { ConveyorError } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import {
  apiKeyAuth,
  basicAuth,
  bearerAuth,
  HttpClient,
  type HttpRequest,
  oauth2RefreshAuth,
  scriptedTransport,
  sessionTokenAuth,
  virtualClock,
} from '../src/index.js';

const request: HttpRequest = {
  method: 'GET',
  url: 'https://api.example.com/items?limit=10',
  headers: { Accept: 'x' },
};
const TOKEN_URL = 'https://auth.example.com/oauth/token';
const isTokenRequest = (r: HttpRequest) => r.url.startsWith(TOKEN_URL);
const form = (r: HttpRequest) => Object.fromEntries(new URLSearchParams(String(r.body)));

describe('static authenticators', () => {
  it('puts an API key in a header, with an optional prefix, replacing any other spelling', async () => {
    const auth = apiKeyAuth({ header: 'X-Api-Key', value: 'k123', prefix: 'Token' });
    const out = await auth.apply({ ...request, headers: { 'x-api-key': 'old' } });
    expect(out.headers).toEqual({ 'X-Api-Key': 'Token k123' });
    expect(auth.invalidate?.()).toBe(false);
  });

  it('puts an API key in the query string, keeping the other parameters', async () => {
    const out = await apiKeyAuth({ queryParam: 'api_key', value: 'a b&c' }).apply(request);
    const url = new URL(out.url);
    expect(url.searchParams.get('api_key')).toBe('a b&c');
    expect(url.searchParams.get('limit')).toBe('10');
  });

  it('sends bearer and basic credentials', async () => {
    expect((await bearerAuth('tok').apply(request)).headers.Authorization).toBe('Bearer tok');
    expect((await basicAuth('user', 'pa:ss').apply(request)).headers.Authorization).toBe(
      `Basic ${Buffer.from('user:pa:ss').toString('base64')}`,
    );
  });
});

describe('oauth2RefreshAuth', () => {
  it('sends a form-encoded refresh request and uses the access token it returns', async () => {
    const transport = scriptedTransport([{ json: { access_token: 'at-1', expires_in: 3600 } }]);
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'cid',
      clientSecret: 'csecret',
      refreshToken: 'rt-1',
      scopes: ['read', 'write'],
      extraBody: { audience: 'api', grant_type: 'ignored' },
      transport,
      clock: virtualClock(),
    });
    const out = await auth.apply(request);
    expect(out.headers.Authorization).toBe('Bearer at-1');
    const sent = transport.requests[0] as HttpRequest;
    expect(sent.method).toBe('POST');
    expect(sent.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(sent)).toMatchObject({
      grant_type: 'refresh_token',
      client_id: 'cid',
      client_secret: 'csecret',
      refresh_token: 'rt-1',
      audience: 'api',
    });
    expect(new URLSearchParams(String(sent.body)).getAll('scopes')).toEqual(['read', 'write']);
  });

  it('refreshes before the token expires (injected clock) and not while it is fresh', async () => {
    const clock = virtualClock();
    let n = 0;
    const transport = scriptedTransport(() => ({ json: { access_token: `at-${++n}`, expires_in: 600 } }));
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      transport,
      clock,
    });
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer at-1');
    clock.advance(500_000); // 100 s before expiry: still fresh
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer at-1');
    clock.advance(50_000); // 50 s before expiry: inside the 60 s margin
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer at-2');
    expect(transport.requests).toHaveLength(2);
  });

  it('hands a rotated refresh token to the callback and uses it for the next refresh', async () => {
    const clock = virtualClock(Date.UTC(2024, 5, 1));
    const rotations: [string, number, string][] = [];
    let n = 0;
    const transport = scriptedTransport(() => {
      n++;
      return { json: { data: { access_token: `at-${n}`, refresh_token: `rt-${n + 1}`, expires_in: '120' } } };
    });
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'rt-1',
      transport,
      clock,
      onRefreshTokenRotated: (token, expiresAt, accessToken) => {
        rotations.push([token, expiresAt, accessToken]);
      },
    });
    await auth.apply(request);
    expect(rotations).toEqual([['rt-2', Date.UTC(2024, 5, 1) + 120_000, 'at-1']]);
    expect(auth.refreshToken).toBe('rt-2');
    expect(auth.invalidate?.()).toBe(true);
    await auth.apply(request);
    expect(form(transport.requests[1] as HttpRequest).refresh_token).toBe('rt-2');
    expect(rotations).toHaveLength(2);
  });

  it('a refresh rejected with 400 is a config error asking to re-authenticate, without secrets', async () => {
    const transport = scriptedTransport([
      { status: 400, json: { error: 'invalid_grant', error_description: 'token rt-SECRET-1 is revoked' } },
    ]);
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 'CLIENT-SECRET-9',
      refreshToken: 'rt-SECRET-1',
      transport,
      clock: virtualClock(),
    });
    const error = await auth.apply(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConveyorError);
    expect((error as ConveyorError).failureType).toBe('config_error');
    expect((error as Error).message).toContain('Re-authenticate');
    expect((error as Error).message).toContain('invalid_grant');
    expect((error as Error).message).not.toContain('rt-SECRET-1');
    expect((error as Error).message).not.toContain('CLIENT-SECRET-9');
  });

  it('retries the token endpoint on 5xx, then succeeds', async () => {
    const clock = virtualClock();
    const transport = scriptedTransport([{ status: 503 }, { json: { access_token: 'at', expires_in: 60 } }]);
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      transport,
      clock,
    });
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer at');
    expect(clock.sleeps).toEqual([1000]);
  });

  it('an answer without an access token names the field it looked for', async () => {
    const transport = scriptedTransport([{ json: { token: 'x' } }]);
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      transport,
    });
    await expect(auth.apply(request)).rejects.toThrow(/access_token/);
  });

  it('reads an expiry datetime when expiresAtFormat is set, and defaults to one hour without expiry', async () => {
    const clock = virtualClock(Date.UTC(2024, 0, 1));
    const transport = scriptedTransport([
      { json: { access_token: 'a1', expires_at: '2024-01-01T00:10:00Z' } },
      { json: { access_token: 'a2' } },
    ]);
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      expiresInName: 'expires_at',
      expiresAtFormat: '%Y-%m-%dT%H:%M:%SZ',
      transport,
      clock,
    });
    await auth.apply(request);
    clock.advance(8 * 60_000);
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer a1');
    clock.advance(3 * 60_000); // past 00:10
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer a2');
    clock.advance(50 * 60_000); // a token without expiry lives one hour
    expect((await auth.apply(request)).headers.Authorization).toBe('Bearer a2');
    expect(transport.requests).toHaveLength(2);
  });

  it('concurrent requests share one refresh', async () => {
    const transport = scriptedTransport(() => ({ json: { access_token: 'shared', expires_in: 3600 } }));
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      transport,
    });
    await Promise.all([auth.apply(request), auth.apply(request), auth.apply(request)]);
    expect(transport.requests).toHaveLength(1);
  });

  it('a token expiring mid-sync: the client refreshes after the 401 and continues', async () => {
    const clock = virtualClock();
    let issued = 0;
    const transport = scriptedTransport((r) => {
      if (isTokenRequest(r)) return { json: { access_token: `at-${++issued}`, expires_in: 3600 } };
      // the server revokes the first token after its second use
      const uses = transport.requests.filter((x) => x.headers.Authorization === 'Bearer at-1').length;
      return r.headers.Authorization === 'Bearer at-1' && uses > 2 ? { status: 401 } : { json: [] };
    });
    const auth = oauth2RefreshAuth({
      tokenEndpoint: TOKEN_URL,
      clientId: 'c',
      clientSecret: 's',
      refreshToken: 'r',
      transport,
      clock,
    });
    const client = new HttpClient({ transport, clock, authenticator: auth });
    for (let i = 0; i < 4; i++) expect((await client.send(request)).status).toBe(200);
    expect(issued).toBe(2);
  });
});

describe('sessionTokenAuth', () => {
  it('logs in once with a request, reads the token at its path, and logs in again after expiry or a 401', async () => {
    const clock = virtualClock();
    let logins = 0;
    const transport = scriptedTransport(() => ({ json: { data: { token: `session-${++logins}` } } }));
    const auth = sessionTokenAuth({
      login: {
        request: { method: 'POST', url: 'https://api.example.com/login', headers: {}, body: '{}' },
        tokenPath: ['data', 'token'],
        client: new HttpClient({ transport, clock }),
      },
      header: 'X-Session',
      expiresAfterMs: 60_000,
      clock,
    });
    expect((await auth.apply(request)).headers['X-Session']).toBe('session-1');
    expect((await auth.apply(request)).headers['X-Session']).toBe('session-1');
    clock.advance(60_000);
    expect((await auth.apply(request)).headers['X-Session']).toBe('session-2');
    expect(auth.invalidate?.()).toBe(true);
    expect((await auth.apply(request)).headers['X-Session']).toBe('session-3');
  });

  it('accepts a login function and defaults to a bearer header; a query parameter on request', async () => {
    const bearer = sessionTokenAuth({ login: async () => 'abc' });
    expect((await bearer.apply(request)).headers.Authorization).toBe('Bearer abc');
    const query = sessionTokenAuth({ login: async () => 'abc', queryParam: 'session' });
    expect(new URL((await query.apply(request)).url).searchParams.get('session')).toBe('abc');
  });

  it('a login answer without a token is a config error naming the path', async () => {
    const transport = scriptedTransport([{ json: { data: {} } }]);
    const auth = sessionTokenAuth({
      login: {
        request: { method: 'POST', url: 'https://api.example.com/login', headers: {} },
        tokenPath: ['data', 'token'],
        client: new HttpClient({ transport }),
      },
    });
    const error = await auth.apply(request).catch((e: unknown) => e);
    expect((error as ConveyorError).failureType).toBe('config_error');
    expect((error as Error).message).toContain('data.token');
  });
});
