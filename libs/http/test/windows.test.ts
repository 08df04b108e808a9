import { describe, expect, it } from 'vitest';
import { addDuration, datetimeWindows, parseIsoDuration } from '../src/index.js';

const t = (iso: string) => Date.parse(iso);
const iso = (windows: { start: number; end: number }[]) =>
  windows.map((w) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()]);

describe('parseIsoDuration', () => {
  it('reads the parts of a duration', () => {
    expect(parseIsoDuration('P1Y2M3W4DT5H6M7.5S')).toEqual({
      sign: 1,
      years: 1,
      months: 2,
      weeks: 3,
      days: 4,
      hours: 5,
      minutes: 6,
      seconds: 7.5,
    });
    expect(parseIsoDuration('-PT1S').sign).toBe(-1);
  });

  it('rejects text that is not a duration, naming it', () => {
    for (const bad of ['1D', 'P', 'PT', 'P1H', 'day', ''])
      expect(() => parseIsoDuration(bad)).toThrow(/not an ISO 8601 duration/);
  });

  it('adds calendar months, clamping to the end of shorter months', () => {
    const jan31 = t('2024-01-31T10:00:00Z');
    expect(new Date(addDuration(jan31, parseIsoDuration('P1M'))).toISOString()).toBe(
      '2024-02-29T10:00:00.000Z',
    );
    expect(new Date(addDuration(t('2023-12-15T00:00:00Z'), parseIsoDuration('P1Y2M'))).toISOString()).toBe(
      '2025-02-15T00:00:00.000Z',
    );
    expect(new Date(addDuration(t('2024-03-31T00:00:00Z'), parseIsoDuration('P1M'), -1)).toISOString()).toBe(
      '2024-02-29T00:00:00.000Z',
    );
  });
});

describe('datetimeWindows', () => {
  it('cuts by step; with a granularity each window ends one unit before the next starts', () => {
    const windows = datetimeWindows({
      start: t('2024-01-01T00:00:00Z'),
      end: t('2024-01-03T12:00:00Z'),
      step: 'P1D',
      cursorGranularity: 'PT1S',
    });
    expect(iso(windows)).toEqual([
      ['2024-01-01T00:00:00.000Z', '2024-01-01T23:59:59.000Z'],
      ['2024-01-02T00:00:00.000Z', '2024-01-02T23:59:59.000Z'],
      ['2024-01-03T00:00:00.000Z', '2024-01-03T12:00:00.000Z'],
    ]);
  });

  it('without a granularity, windows share their boundaries', () => {
    const windows = datetimeWindows({
      start: new Date('2024-01-01T00:00:00Z'),
      end: t('2024-01-01T12:00:00Z'),
      step: 'PT6H',
    });
    expect(iso(windows)).toEqual([
      ['2024-01-01T00:00:00.000Z', '2024-01-01T06:00:00.000Z'],
      ['2024-01-01T06:00:00.000Z', '2024-01-01T12:00:00.000Z'],
    ]);
  });

  it('steps by calendar months', () => {
    const windows = datetimeWindows({
      start: t('2024-01-31T00:00:00Z'),
      end: t('2024-04-15T00:00:00Z'),
      step: 'P1M',
      cursorGranularity: 'P1D',
    });
    expect(iso(windows)).toEqual([
      ['2024-01-31T00:00:00.000Z', '2024-02-28T00:00:00.000Z'],
      ['2024-02-29T00:00:00.000Z', '2024-03-28T00:00:00.000Z'],
      ['2024-03-29T00:00:00.000Z', '2024-04-15T00:00:00.000Z'],
    ]);
  });

  it('starts from the state cursor minus the lookback, never before the start date', () => {
    const base = { start: t('2024-01-01T00:00:00Z'), end: t('2024-01-10T00:00:00Z'), step: 'P10D' };
    expect(iso(datetimeWindows({ ...base, from: t('2024-01-05T00:00:00Z'), lookback: 'P2D' }))).toEqual([
      ['2024-01-03T00:00:00.000Z', '2024-01-10T00:00:00.000Z'],
    ]);
    expect(iso(datetimeWindows({ ...base, from: t('2024-01-02T00:00:00Z'), lookback: 'P1W' }))[0]?.[0]).toBe(
      '2024-01-01T00:00:00.000Z',
    );
  });

  it('is one window without a step, and none when the start is after the end', () => {
    expect(datetimeWindows({ start: 0, end: 1000 })).toEqual([{ start: 0, end: 1000 }]);
    expect(datetimeWindows({ start: 2000, end: 1000, step: 'PT1S' })).toEqual([]);
    expect(datetimeWindows({ start: 1000, end: 1000 })).toEqual([]);
    expect(datetimeWindows({ start: 1000, end: 1000, cursorGranularity: 'PT1S' })).toEqual([
      { start: 1000, end: 1000 },
    ]);
  });

  it('windows cover the whole span in order without gaps beyond the granularity', () => {
    const start = t('2023-11-05T07:13:00Z');
    const end = t('2024-03-09T01:00:00Z');
    const windows = datetimeWindows({ start, end, step: 'P1W', cursorGranularity: 'PT1S' });
    expect(windows[0]?.start).toBe(start);
    expect(windows.at(-1)?.end).toBe(end);
    for (let i = 1; i < windows.length; i++)
      expect((windows[i] as { start: number }).start - (windows[i - 1] as { end: number }).end).toBe(1000);
  });
});
