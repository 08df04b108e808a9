import { describe, expect, it } from 'vitest';
import { compareRuns, type RunResult } from '../src/compare.js';
import { normalizeClock } from '../src/normalize.js';

const run = (over: Partial<RunResult> = {}): RunResult => ({
  ok: true,
  catalog: [
    { name: 'b', json_schema: { type: 'object' } },
    { name: 'a', json_schema: { properties: { x: {} }, type: 'object' } },
  ],
  records: { a: ['{"x":1}', '{"x":2}'], b: ['{"y":1}'] },
  requests: ['GET /a [] body=', 'GET /b [] body='],
  ...over,
});

describe('compareRuns', () => {
  it('is identical regardless of stream, record and request order, or a repeated request', () => {
    const ours = run({
      catalog: [
        { json_schema: { type: 'object', properties: { x: {} } }, name: 'a' },
        { name: 'b', json_schema: { type: 'object' } },
      ],
      records: { b: ['{"y":1}'], a: ['{"x":2}', '{"x":1}'] },
      requests: ['GET /b [] body=', 'GET /a [] body=', 'GET /a [] body='],
    });
    expect(compareRuns(run(), ours)).toEqual({ status: 'identical', records: 3, requests: 2 });
  });

  it('names the catalog first when it differs', () => {
    const verdict = compareRuns(run(), run({ catalog: [{ name: 'a' }] }));
    expect(verdict).toMatchObject({ status: 'different', what: 'catalog' });
  });

  it('reports a request only one engine sent', () => {
    const verdict = compareRuns(run(), run({ requests: ['GET /a [] body=', 'GET /b [["page","2"]] body='] }));
    expect(verdict).toMatchObject({ status: 'different', what: 'requests' });
    expect(verdict.status === 'different' && verdict.detail).toContain('only in ours');
  });

  it('counts duplicate records: one record missing once is a difference, with its stream', () => {
    const verdict = compareRuns(
      run({ records: { a: ['{"x":1}', '{"x":1}'] } }),
      run({ records: { a: ['{"x":1}'] } }),
    );
    expect(verdict).toMatchObject({ status: 'different', what: 'records' });
    expect(verdict.status === 'different' && verdict.detail).toMatch(/^stream a: reference 2, ours 1/);
  });

  it('is failed, naming the engine, when either run failed (the reference first)', () => {
    expect(compareRuns(run({ ok: false, error: 'boom' }), run({ ok: false }))).toEqual({
      status: 'failed',
      engine: 'reference',
      reason: 'boom',
    });
    expect(compareRuns(run(), run({ ok: false, error: 'timed out' }))).toMatchObject({ engine: 'ours' });
  });
});

describe('normalizeClock', () => {
  const window = { from: Date.parse('2026-11-26T10:00:00Z'), to: Date.parse('2026-11-26T10:02:00Z') };

  it('replaces moments of the run and today, keeps fixed dates', () => {
    expect(normalizeClock('end=2026-11-26T10:01:13Z&start=2026-11-16T00:00:00Z', window)).toBe(
      'end=<now>&start=2026-11-16T00:00:00Z',
    );
    expect(normalizeClock('until=2026-11-26&ts=1795687300&uuid=2026-11-26 10:00:05.123+00:00', window)).toBe(
      'until=<today>&ts=<now>&uuid=<now>',
    );
  });
});
