// ISO 8601 formatting for whole epoch seconds without a Date per value. A formatted timestamp is
// the concatenation of two cached strings: the day part (`YYYY-MM-DDT`, computed once per day)
// and the time of day (`HH:MM:SSZ`, one table of 86,400 entries built on first use). Building the
// text digit by digit allocated a chain of intermediate strings per value, and that garbage,
// not the arithmetic, was what limited the generator.

const SECONDS_PER_DAY = 86_400;

function twoDigits(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

let timeOfDay: string[] | undefined;

function timeOfDayTable(): string[] {
  const table: string[] = new Array(SECONDS_PER_DAY);
  for (let s = 0; s < SECONDS_PER_DAY; s++) {
    table[s] = `${twoDigits((s / 3600) | 0)}:${twoDigits(((s / 60) | 0) % 60)}:${twoDigits(s % 60)}Z`;
  }
  return table;
}

const dayPrefixes = new Map<number, string>();

/** `YYYY-MM-DDT` of a day counted from 1970-01-01, via Howard Hinnant's civil-from-days. */
function dayPrefix(days: number): string {
  const cached = dayPrefixes.get(days);
  if (cached !== undefined) return cached;
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const prefix = `${String(year).padStart(4, '0')}-${twoDigits(month)}-${twoDigits(day)}T`;
  dayPrefixes.set(days, prefix);
  return prefix;
}

/** `YYYY-MM-DDTHH:MM:SSZ` for whole epoch seconds, years 0000-9999. */
export function isoFromEpochSeconds(epochSeconds: number): string {
  const days = Math.floor(epochSeconds / SECONDS_PER_DAY);
  timeOfDay ??= timeOfDayTable();
  return dayPrefix(days) + timeOfDay[epochSeconds - days * SECONDS_PER_DAY]!;
}
