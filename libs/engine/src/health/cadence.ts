// When the next health check is due: an interval (`30s`, `15m`, `2h`, `1d`) or a five-field cron
// expression (minute hour day-of-month month day-of-week; `*`, `*/n`, `a-b`, `a,b`, in UTC).

import { configError } from '@conveyor/protocol';

export type Cadence =
  | { kind: 'every'; ms: number }
  | { kind: 'cron'; fields: Set<number>[]; text: string; restricted: { days: boolean; weekdays: boolean } };

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const RANGES: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 7],
];

function field(text: string, [min, max]: [number, number], where: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    let [from, to] = [min, max];
    if (range !== '*') {
      const [a, b] = (range ?? '').split('-');
      from = Number(a);
      to = b === undefined ? (stepText === undefined ? from : max) : Number(b);
    }
    if (![from, to, step].every(Number.isInteger) || from < min || to > max || from > to || step < 1) {
      throw configError(
        `The cron expression's ${where} field "${text}" is not valid (allowed ${min}-${max}).`,
      );
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export function parseCadence(text: string): Cadence {
  const every = /^(\d+)\s*([smhd])$/.exec(text.trim());
  if (every) {
    const ms = Number(every[1]) * UNITS[every[2]!]!;
    if (ms < 1000) throw configError(`--every must be at least 1s (got "${text}").`);
    return { kind: 'every', ms };
  }
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) {
    throw configError(
      `"${text}" is neither an interval (30s, 15m, 2h, 1d) nor a five-field cron expression (like "*/15 * * * *").`,
    );
  }
  const names = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
  return {
    kind: 'cron',
    text,
    fields: parts.map((p, i) => field(p, RANGES[i]!, names[i]!)),
    restricted: { days: parts[2] !== '*', weekdays: parts[4] !== '*' },
  };
}

/** The first moment after `from` when the cadence is due. */
export function nextRun(cadence: Cadence, from: Date): Date {
  if (cadence.kind === 'every') return new Date(from.getTime() + cadence.ms);
  const [minutes, hours, days, months, weekdays] = cadence.fields as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const t = new Date(from.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  for (let i = 0; i < 366 * 24 * 60; i++) {
    // as in cron: when both day fields are restricted, either one matching is enough; 7 is Sunday too
    const dayOfMonth = days.has(t.getUTCDate());
    const dayOfWeek = weekdays.has(t.getUTCDay()) || (t.getUTCDay() === 0 && weekdays.has(7));
    const day =
      cadence.restricted.days && cadence.restricted.weekdays
        ? dayOfMonth || dayOfWeek
        : dayOfMonth && dayOfWeek;
    if (
      minutes.has(t.getUTCMinutes()) &&
      hours.has(t.getUTCHours()) &&
      day &&
      months.has(t.getUTCMonth() + 1)
    ) {
      return t;
    }
    t.setUTCMinutes(t.getUTCMinutes() + 1);
  }
  throw configError(`The cron expression "${cadence.text}" never comes due.`);
}
