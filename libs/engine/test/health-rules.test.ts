import type { AirbyteStream, Catalog } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { alertsFor, applySchemaPolicy, nextRun, parseCadence, type SchemaChange } from '../src/index.js';

const stream = (name: string, props: Record<string, unknown>): AirbyteStream => ({
  name,
  json_schema: { type: 'object', properties: props },
  supported_sync_modes: ['full_refresh'],
});
const before: Catalog = { streams: [stream('users', { id: { type: 'integer' }, name: { type: 'string' } })] };
const after: Catalog = {
  streams: [
    stream('users', { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string' } }),
    stream('refunds', {}),
  ],
};

describe('applySchemaPolicy', () => {
  it('takes the first catalog as the baseline', () => {
    const o = applySchemaPolicy(undefined, after, 'hold');
    expect(o).toMatchObject({ applied: [], pending: [] });
    expect(o.accepted).toEqual(after);
  });

  it.each([
    ['propagate_columns', ['column_added'], ['stream_added'], ['users'], []],
    ['propagate_all', ['column_added', 'stream_added'], [], ['users', 'refunds'], []],
    ['hold', [], ['column_added', 'stream_added'], ['users'], ['email']],
    ['pause', ['column_added'], ['stream_added'], ['users'], []],
  ] as const)('%s applies %j and holds %j', (policy, applied, pending, streams, dropped) => {
    const o = applySchemaPolicy(before, after, policy);
    expect(o.applied.map((c) => c.kind)).toEqual(applied);
    expect(o.pending.map((c) => c.kind)).toEqual(pending);
    expect(o.effective.streams.map((s) => s.name)).toEqual(streams);
    expect(o.droppedColumns.get('users') ?? []).toEqual(dropped);
    expect(o.blocked).toBeUndefined();
    // what stays pending is exactly the difference between the new baseline and the source
    expect(applySchemaPolicy(o.accepted, after, policy).pending.map((c) => c.kind)).toEqual(pending);
  });

  it('pause blocks on a breaking change; the others keep it pending and the old stream in the baseline', () => {
    const broken: Catalog = { streams: [stream('users', { id: { type: 'string' } })] };
    expect(applySchemaPolicy(before, broken, 'pause').blocked).toMatch(
      /paused by a breaking schema change: column "users.id" changed type integer -> string; column "users.name" is gone/,
    );
    const held = applySchemaPolicy(before, broken, 'propagate_all');
    expect(held.blocked).toBeUndefined();
    expect(held.pending.every((c) => c.breaking)).toBe(true);
    expect(held.accepted.streams[0]).toEqual(before.streams[0]);
  });

  it('a held type, key or cursor change never reaches the sync: it reads the stream as accepted', () => {
    const keyed = (props: Record<string, unknown>, pk: string[][], cursor: string[]): Catalog => ({
      streams: [{ ...stream('users', props), source_defined_primary_key: pk, default_cursor_field: cursor }],
    });
    const old = keyed({ id: { type: 'integer' }, at: { type: 'string' } }, [['id']], ['at']);
    const now = keyed(
      { id: { type: 'string' }, at: { type: 'string' }, seen: { type: 'string' } },
      [['at']],
      ['seen'],
    );
    for (const policy of ['hold', 'propagate_columns', 'propagate_all'] as const) {
      const o = applySchemaPolicy(old, now, policy);
      const users = o.effective.streams[0]!;
      expect((users.json_schema.properties as Record<string, unknown>).id).toEqual({ type: 'integer' });
      expect(users.source_defined_primary_key).toEqual([['id']]);
      expect(users.default_cursor_field).toEqual(['at']);
    }
  });

  it('keeps reporting a change until it is approved, and sees later changes too', () => {
    const v2: Catalog = {
      streams: [
        stream('users', { id: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' } }),
      ],
    };
    const first = applySchemaPolicy(before, v2, 'propagate_columns');
    expect(first.applied.map((c) => c.message)).toEqual(['column "users.email" is new']);
    expect(first.pending.map((c) => c.message)).toEqual(['column "users.id" changed type integer -> string']);
    // the applied column is in the baseline, so removing it later is seen
    const v3: Catalog = { streams: [stream('users', { id: { type: 'string' }, name: { type: 'string' } })] };
    const second = applySchemaPolicy(first.accepted, v3, 'propagate_columns');
    expect(second.pending.map((c) => c.message).sort()).toEqual([
      'column "users.email" is gone',
      'column "users.id" changed type integer -> string',
    ]);
  });
});

describe('alertsFor', () => {
  const state = { status: null, alertedChanges: [], alertedDrift: [] } as const;
  const breaking: SchemaChange = {
    kind: 'stream_removed',
    stream: 'x',
    breaking: true,
    message: 'stream "x" is gone',
  };
  const up = { status: 'up' as const, changes: [], drift: [] };
  const down = { status: 'down' as const, failure: 'source: 500', changes: [], drift: [] };

  it('alerts each transition once, and a flapping source at each real transition only', () => {
    const run = (sequence: Array<typeof up | typeof down>) => {
      let s: { status: 'up' | 'down' | null; alertedChanges: string[]; alertedDrift: string[] } = {
        ...state,
        alertedChanges: [],
        alertedDrift: [],
      };
      const kinds: string[] = [];
      for (const report of sequence) {
        const { alerts, next } = alertsFor('c', s, report, 0.05);
        kinds.push(...alerts.map((a) => a.kind));
        s = next;
      }
      return kinds;
    };
    expect(run([up, up, up])).toEqual([]);
    expect(run([up, down, down, down, up, up])).toEqual(['down', 'recovered']);
    expect(run([up, down, up, down, up])).toEqual(['down', 'recovered', 'down', 'recovered']);
  });

  it('a flapping source does not flood: within the cooldown changes are counted, then said once', () => {
    const minute = 60_000;
    let s: {
      status: 'up' | 'down' | null;
      alertedChanges: string[];
      alertedDrift: string[];
      lastStatusAlertAt?: number;
      flips?: number;
    } = {
      status: null,
      alertedChanges: [],
      alertedDrift: [],
    };
    const messages: string[] = [];
    // a check every minute, flapping down/up for 20 minutes, then up for good; cooldown 30 minutes
    const sequence = [
      up,
      ...Array.from({ length: 20 }, (_, i) => (i % 2 ? up : down)),
      down,
      up,
      ...Array(15).fill(up),
    ];
    sequence.forEach((report, i) => {
      const { alerts, next } = alertsFor('c', s, report, 0.05, 30 * minute, i * minute);
      messages.push(...alerts.map((a) => a.message));
      s = next;
    });
    expect(messages).toEqual([
      'c is down: source: 500',
      'c is up again (it flapped: 19 check(s) during the cooldown disagreed with the last alert)',
    ]);
  });

  it('says a breaking change and a drifting field once, and again only after they went away', () => {
    const drift = {
      stream: 'users',
      field: 'id',
      violations: 3,
      records: 10,
      share: 0.3,
      example: 'string "a"',
    };
    const first = alertsFor(
      'c',
      { ...state, alertedChanges: [], alertedDrift: [] },
      { ...up, changes: [breaking], drift: [drift] },
      0.2,
    );
    expect(first.alerts.map((a) => a.kind)).toEqual(['schema_breaking', 'drift']);
    const again = alertsFor('c', first.next, { ...up, changes: [breaking], drift: [drift] }, 0.2);
    expect(again.alerts).toEqual([]);
    const gone = alertsFor('c', again.next, up, 0.2);
    expect(alertsFor('c', gone.next, { ...up, changes: [breaking] }, 0.2).alerts.map((a) => a.kind)).toEqual([
      'schema_breaking',
    ]);
    expect(alertsFor('c', first.next, { ...up, drift: [{ ...drift, share: 0.1 }] }, 0.2).alerts).toEqual([]);
  });
});

describe('cadence', () => {
  it('reads intervals and cron expressions', () => {
    const from = new Date('2026-11-26T10:07:30Z');
    expect(nextRun(parseCadence('15m'), from).toISOString()).toBe('2026-11-26T10:22:30.000Z');
    expect(nextRun(parseCadence('*/15 * * * *'), from).toISOString()).toBe('2026-11-26T10:15:00.000Z');
    expect(nextRun(parseCadence('0 6 * * 1-5'), from).toISOString()).toBe('2026-11-27T06:00:00.000Z');
    expect(nextRun(parseCadence('30 2 1 * *'), from).toISOString()).toBe('2026-12-01T02:30:00.000Z');
    // both day fields: either matches, as in cron (the 1st, or any Sunday, written 7)
    expect(nextRun(parseCadence('0 0 1 * 7'), from).toISOString()).toBe('2026-11-29T00:00:00.000Z');
  });

  it('says what is wrong with a bad one', () => {
    expect(() => parseCadence('every hour')).toThrow(/neither an interval .* nor a five-field cron/);
    expect(() => parseCadence('61 * * * *')).toThrow(/minute field "61" is not valid \(allowed 0-59\)/);
  });
});
