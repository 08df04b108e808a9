// LegacySessionTokenAuthenticator (source-metabase's): a configured session token checked against
// validate_session_url, else a login with username and password, the token sent in `header`.

import type { SourceOutput } from '@conveyor/cdk';
import { type HttpRequest, type ScriptedAnswer, scriptedTransport } from '@conveyor/http';
import type { ConfiguredCatalog, JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import { ctx } from './read-context.js';

const MANIFEST = `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [cards] }
streams:
  - type: DeclarativeStream
    name: cards
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    retriever:
      type: SimpleRetriever
      requester:
        type: HttpRequester
        url_base: "{{ config['instance_api_url'] }}"
        path: card
        http_method: GET
        authenticator:
          type: LegacySessionTokenAuthenticator
          username: "{{ config['username'] }}"
          password: "{{ config['password'] }}"
          header: X-Metabase-Session
          session_token: "{{ config['session_token'] }}"
          session_token_response_key: id
          login_url: session
          validate_session_url: user/current
      record_selector:
        type: RecordSelector
        extractor: { type: DpathExtractor, field_path: [] }
spec:
  type: Spec
  connection_specification:
    type: object
    required: [instance_api_url]
    properties:
      instance_api_url: { type: string }
      username: { type: string }
      password: { type: string, airbyte_secret: true }
      session_token: { type: string, airbyte_secret: true }
`;

const CATALOG: ConfiguredCatalog = {
  streams: [
    {
      stream: { name: 'cards', json_schema: {}, supported_sync_modes: ['full_refresh'] },
      sync_mode: 'full_refresh',
      destination_sync_mode: 'append',
    },
  ],
};

/** An API where `user/current` accepts only `valid` and `session` logs `ada`/`pw` in. */
function metabase() {
  return scriptedTransport((request: HttpRequest): ScriptedAnswer => {
    const path = new URL(request.url).pathname;
    const session = request.headers['X-Metabase-Session'];
    if (path === '/api/user/current')
      return session === 'valid' ? { json: { id: 1 } } : { status: 401, json: {} };
    if (path === '/api/session') {
      const body = JSON.parse(String(request.body)) as JsonObject;
      if (body.username === 'busy') return { status: 503, json: {} };
      return body.username === 'ada' && body.password === 'pw'
        ? { json: { id: 'fresh-token' } }
        : { status: 400, json: { errors: { password: 'did not match' } } };
    }
    if (path === '/api/card') {
      return session === 'valid' || session === 'fresh-token'
        ? { json: [{ id: 7 }] }
        : { status: 401, json: {} };
    }
    return { status: 404, json: {} };
  });
}

async function read(config: JsonObject) {
  const transport = metabase();
  const source = new DeclarativeSource(parseManifest(MANIFEST), { transport });
  const records: JsonObject[] = [];
  const out: AsyncIterable<SourceOutput> = source.read(
    { instance_api_url: 'https://metabase.example.com/api/', ...config },
    CATALOG,
    [],
    ctx(),
  );
  for await (const item of out) {
    if (item.kind === 'records' && item.batch.format === 'objects') records.push(...item.batch.records);
  }
  const requests = transport.requests.map((r) => `${r.method} ${new URL(r.url).pathname}`);
  return { records, requests, sent: transport.requests };
}

describe('LegacySessionTokenAuthenticator', () => {
  it('uses a configured session token once the API accepts it', async () => {
    const { records, requests, sent } = await read({ session_token: 'valid' });
    expect(records).toEqual([{ id: 7 }]);
    expect(requests).toEqual(['GET /api/user/current', 'GET /api/card']);
    expect(sent[1]!.headers['X-Metabase-Session']).toBe('valid');
  });

  it('logs in with username and password when the session token is rejected or missing', async () => {
    for (const config of [
      { session_token: 'expired', username: 'ada', password: 'pw' },
      { username: 'ada', password: 'pw' },
    ]) {
      const { records, requests, sent } = await read(config);
      expect(records).toEqual([{ id: 7 }]);
      expect(requests.slice(-2)).toEqual(['POST /api/session', 'GET /api/card']);
      const login = sent.at(-2)!;
      expect(JSON.parse(String(login.body))).toEqual({ username: 'ada', password: 'pw' });
      expect(login.headers['Content-Type']).toBe('application/json');
      expect(sent.at(-1)!.headers['X-Metabase-Session']).toBe('fresh-token');
    }
  });

  it('a login the server cannot answer now is a transient failure, not a config error', async () => {
    const failure = await read({ username: 'busy', password: 'pw' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ failureType: 'transient_error' });
    expect(String(failure)).toMatch(/Logging in \(POST session\) answered HTTP 503; the API may be down/);
  });

  it('fails with a config error naming what to fix', async () => {
    await expect(read({ session_token: 'expired' })).rejects.toThrow(
      /session token is not valid or not given, and there is no username and password/,
    );
    await expect(read({ username: 'ada', password: 'wrong' })).rejects.toThrow(
      /Logging in \(POST session\) answered HTTP 400; check the API URL, the session token, the username and the password/,
    );
  });
});
