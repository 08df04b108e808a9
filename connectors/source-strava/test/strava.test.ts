// The Strava manifest against recorded Strava-shaped exchanges: the OAuth refresh (and the rotated
// refresh token handed back as a CONTROL message), activities read in 90-day windows with epoch
// `after`/`before`, a state after each window and a read that resumes from it, and what an HTML
// page or a revoked refresh token looks like to the user. The clock is set to 2026-05-01.

import { readExchanges, replayTransport } from '@conveyor/http';
import type { JsonObject, StateMessage } from '@conveyor/protocol';
import { readAll, readContext, sourceCatalog } from '@conveyor/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadSource } from '../src/index.js';

/** The recorded exchanges in test/fixtures/<name>.json. */
const fixture = (name: string) => readExchanges(new URL(`./fixtures/${name}.json`, import.meta.url));

const config: JsonObject = {
  client_id: '98765',
  client_secret: 'c5ecret-client-fixture',
  refresh_token: 'r0ld-refresh-fixture',
  start_date: '2026-01-01T00:00:00Z',
};
const SECRETS = [
  'c5ecret-client-fixture',
  'r0ld-refresh-fixture',
  'r7e1d4rotated-refresh-fixture',
  'a9f0c2access-token-fixture',
];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date('2026-05-01T00:00:00Z'));
});
afterEach(() => {
  vi.useRealTimers();
});

const stateOf = (s: StateMessage) => (s as { stream: { stream_state: JsonObject } }).stream.stream_state;

describe('OAuth with a rotating refresh token', () => {
  it('gets an access token with the refresh token first, then sends it as a bearer token', async () => {
    const transport = replayTransport(fixture('athlete'));
    const read = await readAll(await loadSource({ transport }), { ...config }, sourceCatalog(['athlete']));

    expect(read.error).toBeUndefined();
    const [token, athlete] = transport.requests;
    expect(token?.method).toBe('POST');
    expect(token?.url).toBe('https://www.strava.com/oauth/token');
    expect(Object.fromEntries(new URLSearchParams(String(token?.body)))).toEqual({
      grant_type: 'refresh_token',
      client_id: '98765',
      client_secret: 'c5ecret-client-fixture',
      refresh_token: 'r0ld-refresh-fixture',
    });
    expect(athlete?.headers.Authorization).toBe('Bearer a9f0c2access-token-fixture');
    expect(read.records.athlete).toEqual([expect.objectContaining({ id: 1234567, username: 'ada_runs' })]);
  });

  it('hands the rotated refresh token back in a CONTROL message with the whole updated config', async () => {
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('athlete')) }),
      { ...config },
      sourceCatalog(['athlete']),
    );
    expect(read.controls).toHaveLength(1);
    expect(read.controls[0]).toMatchObject({
      type: 'CONTROL',
      control: {
        type: 'CONNECTOR_CONFIG',
        connectorConfig: {
          config: {
            client_id: '98765',
            client_secret: 'c5ecret-client-fixture',
            refresh_token: 'r7e1d4rotated-refresh-fixture',
            access_token: 'a9f0c2access-token-fixture',
            start_date: '2026-01-01T00:00:00Z',
          },
        },
      },
    });
  });

  it('never writes a secret or token to a log line', async () => {
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('activities')) }),
      { ...config },
      sourceCatalog(['activities'], 'incremental'),
    );
    const logs = read.logs.join('\n');
    for (const secret of SECRETS) expect(logs).not.toContain(secret);
  });
});

describe('activities, incremental by start_date', () => {
  it('reads 90-day windows with epoch after/before around each, and checkpoints after each window', async () => {
    const transport = replayTransport(fixture('activities'));
    const read = await readAll(
      await loadSource({ transport }),
      { ...config },
      sourceCatalog(['activities'], 'incremental'),
    );

    expect(read.error).toBeUndefined();
    const windows = transport.requests.slice(1).map((r) => Object.fromEntries(new URL(r.url).searchParams));
    expect(windows).toEqual([
      // 2025-12-31T23:59:59Z .. 2026-04-01T00:00:00Z, exclusive: the window [Jan 1, Mar 31 23:59:59]
      { after: '1767225599', before: '1775001600', page: '1', per_page: '200' },
      // the last window ends now (2026-05-01T00:00:00Z)
      { after: '1775001599', before: '1777593601', page: '1', per_page: '200' },
    ]);
    expect(
      transport.requests.slice(1).every((r) => new URL(r.url).pathname === '/api/v3/athlete/activities'),
    ).toBe(true);
    expect(read.records.activities?.map((a) => [a.id, a.sport_type, a.start_date])).toEqual([
      [11000000001, 'Run', '2026-01-03T07:15:00Z'],
      [11000000002, 'Ride', '2026-03-14T11:40:00Z'],
      [11000000003, 'Swim', '2026-04-10T18:30:00Z'],
    ]);
    expect(read.states.map(stateOf)).toEqual([
      { start_date: '2026-03-14T11:40:00Z' },
      { start_date: '2026-04-10T18:30:00Z' },
    ]);
  });

  it('resumes from the saved start_date: the activity at the cursor again (at least once), then the new ones', async () => {
    const transport = replayTransport(fixture('activities-resumed'));
    const saved: StateMessage[] = [
      {
        type: 'STREAM',
        stream: {
          stream_descriptor: { name: 'activities' },
          stream_state: { start_date: '2026-04-10T18:30:00Z' },
        },
      },
    ];
    const read = await readAll(
      await loadSource({ transport }),
      { ...config },
      sourceCatalog(['activities'], 'incremental'),
      saved,
    );

    expect(read.error).toBeUndefined();
    expect(transport.requests).toHaveLength(2);
    expect(new URL(transport.requests[1]!.url).searchParams.get('after')).toBe('1775845799');
    expect(read.records.activities?.map((a) => a.id)).toEqual([11000000003, 11000000004]);
    expect(read.states.map(stateOf)).toEqual([{ start_date: '2026-04-26T06:05:00Z' }]);
  });

  it('reads every window in full refresh too, without states', async () => {
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('activities')) }),
      { ...config },
      sourceCatalog(['activities']),
    );
    expect(read.records.activities).toHaveLength(3);
    expect(read.states).toEqual([]);
  });

  it('discovers activities as incremental with start_date as the cursor', async () => {
    const catalog = await (await loadSource({ transport: replayTransport([]) })).discover(
      { ...config },
      readContext(),
    );
    expect(catalog.streams.find((s) => s.name === 'activities')).toMatchObject({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['start_date'],
      source_defined_primary_key: [['id']],
    });
  });
});

describe('failures', () => {
  it('an HTML page instead of JSON ends the read with an error naming the stream and the request', async () => {
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('maintenance-page')) }),
      { ...config },
      sourceCatalog(['athlete']),
    );
    expect(read.error?.stream).toEqual({ name: 'athlete' });
    expect(read.error?.userMessage).toMatch(/athlete/);
    expect(read.error?.userMessage).toMatch(/https:\/\/www\.strava\.com\/api\/v3\/athlete/);
    expect(read.error?.userMessage).toMatch(/JSON|HTML/);
    for (const secret of SECRETS) expect(JSON.stringify(read.traces)).not.toContain(secret);
  });

  it('a revoked refresh token fails check, and a read with a config error, saying to authorize again', async () => {
    const source = await loadSource({ transport: replayTransport(fixture('revoked-refresh-token')) });
    const status = await source.check({ ...config }, readContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/oauth\/token rejected the refresh request \(HTTP 400\)/);
    for (const secret of SECRETS) expect(status.message).not.toContain(secret);

    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('revoked-refresh-token')) }),
      { ...config },
      sourceCatalog(['activities'], 'incremental'),
    );
    expect(read.error?.failureType).toBe('config_error');
    expect(read.error?.stream).toEqual({ name: 'activities' });
    expect(read.records).toEqual({});
  });
});
