// ISO 8601 durations (P1D, PT6H, P1M, P1W, P1Y2M3DT4H5M6.5S) and adding them to instants the way
// the reference CDK's date library does: years and months on the calendar in UTC (Jan 31 + P1M is
// the last day of February), then weeks, days and times as fixed lengths.

export interface IsoDuration {
  /** 1, or -1 for a leading minus sign */
  sign: 1 | -1;
  years: number;
  months: number;
  weeks: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

const PATTERN =
  /^([+-])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/** Parses an ISO 8601 duration; throws a RangeError naming the text when it is not one. */
export function parseIsoDuration(text: string): IsoDuration {
  const match = PATTERN.exec(text.trim());
  if (!match || text.trim() === 'P' || /T$/.test(text.trim()))
    throw new RangeError(`"${text}" is not an ISO 8601 duration (such as P1D, PT6H, P1M or P1W).`);
  const n = (i: number) => Number((match[i] ?? '0').replace(',', '.'));
  return {
    sign: match[1] === '-' ? -1 : 1,
    years: n(2),
    months: n(3),
    weeks: n(4),
    days: n(5),
    hours: n(6),
    minutes: n(7),
    seconds: n(8),
  };
}

const DAY = 86_400_000;

/** The fixed part of a duration (weeks, days, times) in milliseconds, ignoring years and months. */
export function fixedDurationMs(d: IsoDuration): number {
  return (
    d.sign * (d.weeks * 7 * DAY + d.days * DAY + d.hours * 3_600_000 + d.minutes * 60_000 + d.seconds * 1000)
  );
}

/** `epochMs` plus `d` times `times` (use -1 to subtract), calendar months first. */
export function addDuration(epochMs: number, d: IsoDuration, times = 1): number {
  const sign = d.sign * times;
  const calendarMonths = d.years * 12 + d.months;
  let result = epochMs;
  if (calendarMonths !== 0) {
    if (!Number.isInteger(calendarMonths))
      throw new RangeError('Fractional years or months cannot be added to a date; use days instead.');
    const date = new Date(epochMs);
    const totalMonths = date.getUTCFullYear() * 12 + date.getUTCMonth() + sign * calendarMonths;
    const year = Math.floor(totalMonths / 12);
    const month = totalMonths - year * 12;
    const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    const msIntoDay = epochMs - Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    result = Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay)) + msIntoDay;
  }
  return result + times * fixedDurationMs(d);
}

/** A duration given as ISO text or already parsed. */
export function toDuration(value: string | IsoDuration): IsoDuration {
  return typeof value === 'string' ? parseIsoDuration(value) : value;
}
