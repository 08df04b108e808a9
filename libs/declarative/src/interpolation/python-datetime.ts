// Python's datetime, date, timedelta and isodate's Duration, as the declarative manifests see them:
// their str() and isoformat() texts, arithmetic, strftime/strptime with Python's directives, the
// ISO 8601 parser behind `str_to_datetime` (dateutil's isoparse) and the epoch formats of the
// reference's DatetimeParser (`%s`, `%ms`, `%s_as_float`, `%epoch_microseconds`, `%_ms`).
// Kept apart from the template engine because DatetimeBasedCursor formats and parses with it too.
// A datetime is a wall-clock reading plus an optional UTC offset (null: naive), like Python's.

const MICROS_PER_SECOND = 1_000_000;
const MICROS_PER_DAY = 86_400 * MICROS_PER_SECOND;

/** A Python ValueError raised by date handling (bad format, out-of-range field). */
export class PyDateValueError extends Error {
  override readonly name = 'PyDateValueError';
}

// --- calendar arithmetic (proleptic Gregorian, days counted from 1970-01-01) ---

function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 30;
}

function checkDate(year: number, month: number, day: number): void {
  if (!Number.isInteger(year) || year < 1 || year > 9999)
    throw new PyDateValueError(`year ${year} is out of range`);
  if (!Number.isInteger(month) || month < 1 || month > 12)
    throw new PyDateValueError('month must be in 1..12');
  if (!Number.isInteger(day) || day < 1 || day > daysInMonth(year, month)) {
    throw new PyDateValueError('day is out of range for month');
  }
}

// --- values ---

/** Python's datetime.timedelta, normalized like Python: 0 <= seconds < 86400, 0 <= microseconds < 1e6. */
export class PyTimedelta {
  readonly days: number;
  readonly seconds: number;
  readonly microseconds: number;

  constructor(totalMicros: number) {
    const micros = Math.round(totalMicros);
    this.days = Math.floor(micros / MICROS_PER_DAY);
    const rest = micros - this.days * MICROS_PER_DAY;
    this.seconds = Math.floor(rest / MICROS_PER_SECOND);
    this.microseconds = rest - this.seconds * MICROS_PER_SECOND;
  }

  static of(parts: {
    days?: number;
    hours?: number;
    minutes?: number;
    seconds?: number;
    microseconds?: number;
    weeks?: number;
  }): PyTimedelta {
    const seconds =
      ((parts.weeks ?? 0) * 7 + (parts.days ?? 0)) * 86_400 +
      (parts.hours ?? 0) * 3600 +
      (parts.minutes ?? 0) * 60 +
      (parts.seconds ?? 0);
    return new PyTimedelta(seconds * MICROS_PER_SECOND + (parts.microseconds ?? 0));
  }

  get totalMicros(): number {
    return this.days * MICROS_PER_DAY + this.seconds * MICROS_PER_SECOND + this.microseconds;
  }

  totalSeconds(): number {
    return this.totalMicros / MICROS_PER_SECOND;
  }

  toString(): string {
    const hh = Math.floor(this.seconds / 3600);
    const mm = Math.floor((this.seconds % 3600) / 60);
    const ss = this.seconds % 60;
    let text = `${hh}:${pad(mm, 2)}:${pad(ss, 2)}`;
    if (this.microseconds) text += `.${pad(this.microseconds, 6)}`;
    if (this.days) text = `${this.days} day${Math.abs(this.days) === 1 ? '' : 's'}, ${text}`;
    return text;
  }
}

/** isodate's Duration: an ISO 8601 duration with years or months, which a timedelta cannot hold. */
export class PyDuration {
  constructor(
    readonly years: number,
    readonly months: number,
    readonly delta: PyTimedelta,
  ) {}

  toString(): string {
    const parts: string[] = [];
    if (this.years) parts.push(`${this.years} year${this.years === 1 ? '' : 's'}`);
    if (this.months) parts.push(`${this.months} month${this.months === 1 ? '' : 's'}`);
    // isodate writes "1 years, 2 months" when both are present
    if (this.years && this.months) parts[0] = `${this.years} years`;
    parts.push(this.delta.toString());
    return parts.join(', ');
  }
}

/** Python's datetime.date. */
export class PyDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    checkDate(year, month, day);
  }

  static fromDays(days: number): PyDate {
    const [y, m, d] = civilFromDays(days);
    return new PyDate(y, m, d);
  }

  get epochDays(): number {
    return daysFromCivil(this.year, this.month, this.day);
  }

  /** Monday is 0, like Python's date.weekday(). */
  weekday(): number {
    return (((this.epochDays + 3) % 7) + 7) % 7;
  }

  isoformat(): string {
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }

  toString(): string {
    return this.isoformat();
  }
}

/** Python's datetime.datetime; `offsetSeconds` null means naive. `tzName` is what %Z prints. */
export class PyDateTime extends PyDate {
  constructor(
    year: number,
    month: number,
    day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly offsetSeconds: number | null = null,
    readonly tzName: string | null = null,
  ) {
    super(year, month, day);
    if (
      hour < 0 ||
      hour > 23 ||
      minute < 0 ||
      minute > 59 ||
      second < 0 ||
      second > 59 ||
      microsecond < 0 ||
      microsecond > 999_999
    ) {
      throw new PyDateValueError('time field out of range');
    }
  }

  /** A UTC datetime (tz "UTC", like pytz.utc / timezone.utc) from epoch microseconds. */
  static fromEpochMicros(
    micros: number,
    offsetSeconds: number | null = 0,
    tzName: string | null = 'UTC',
  ): PyDateTime {
    return PyDateTime.fromWallMicros(
      micros + (offsetSeconds ?? 0) * MICROS_PER_SECOND,
      offsetSeconds,
      tzName,
    );
  }

  static fromWallMicros(wall: number, offsetSeconds: number | null, tzName: string | null): PyDateTime {
    const days = Math.floor(wall / MICROS_PER_DAY);
    let rest = wall - days * MICROS_PER_DAY;
    const [y, m, d] = civilFromDays(days);
    const hour = Math.floor(rest / 3_600_000_000);
    rest -= hour * 3_600_000_000;
    const minute = Math.floor(rest / 60_000_000);
    rest -= minute * 60_000_000;
    const second = Math.floor(rest / MICROS_PER_SECOND);
    const micro = Math.round(rest - second * MICROS_PER_SECOND);
    return new PyDateTime(y, m, d, hour, minute, second, micro, offsetSeconds, tzName);
  }

  static now(): PyDateTime {
    return PyDateTime.fromEpochMicros(Date.now() * 1000);
  }

  /** The wall-clock reading in microseconds since 1970-01-01T00:00 (ignoring the offset). */
  get wallMicros(): number {
    return (
      this.epochDays * MICROS_PER_DAY +
      ((this.hour * 60 + this.minute) * 60 + this.second) * MICROS_PER_SECOND +
      this.microsecond
    );
  }

  /** Microseconds since the epoch; a naive datetime is taken as UTC (the machine zone of a connector). */
  get epochMicros(): number {
    return this.wallMicros - (this.offsetSeconds ?? 0) * MICROS_PER_SECOND;
  }

  get isAware(): boolean {
    return this.offsetSeconds !== null;
  }

  /** Python's datetime.timestamp() (seconds, a float). */
  timestamp(): number {
    return this.epochMicros / MICROS_PER_SECOND;
  }

  date(): PyDate {
    return new PyDate(this.year, this.month, this.day);
  }

  withOffset(offsetSeconds: number | null, tzName: string | null): PyDateTime {
    return new PyDateTime(
      this.year,
      this.month,
      this.day,
      this.hour,
      this.minute,
      this.second,
      this.microsecond,
      offsetSeconds,
      tzName,
    );
  }

  /** The same instant seen from another fixed offset (astimezone). */
  toOffset(offsetSeconds: number, tzName: string | null): PyDateTime {
    return PyDateTime.fromEpochMicros(this.epochMicros, offsetSeconds, tzName);
  }

  plusMicros(micros: number): PyDateTime {
    return PyDateTime.fromWallMicros(this.wallMicros + micros, this.offsetSeconds, this.tzName);
  }

  override isoformat(sep = 'T', timespec = 'auto'): string {
    let time: string;
    const hh = pad(this.hour, 2);
    const mm = pad(this.minute, 2);
    const ss = pad(this.second, 2);
    switch (timespec) {
      case 'auto':
        time = `${hh}:${mm}:${ss}${this.microsecond ? `.${pad(this.microsecond, 6)}` : ''}`;
        break;
      case 'hours':
        time = hh;
        break;
      case 'minutes':
        time = `${hh}:${mm}`;
        break;
      case 'seconds':
        time = `${hh}:${mm}:${ss}`;
        break;
      case 'milliseconds':
        time = `${hh}:${mm}:${ss}.${pad(Math.floor(this.microsecond / 1000), 3)}`;
        break;
      case 'microseconds':
        time = `${hh}:${mm}:${ss}.${pad(this.microsecond, 6)}`;
        break;
      default:
        throw new PyDateValueError(`Unknown timespec value: ${timespec}`);
    }
    return `${super.isoformat()}${sep}${time}${formatOffset(this.offsetSeconds, ':')}`;
  }

  override toString(): string {
    return this.isoformat(' ');
  }
}

function pad(value: number, width: number): string {
  const text = String(Math.abs(value)).padStart(width, '0');
  return value < 0 ? `-${text}` : text;
}

function formatOffset(offset: number | null, separator: string): string {
  if (offset === null) return '';
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const h = Math.floor(abs / 3600);
  const m = Math.floor((abs % 3600) / 60);
  const s = abs % 60;
  return `${sign}${pad(h, 2)}${separator}${pad(m, 2)}${s ? `${separator}${pad(s, 2)}` : ''}`;
}

/** The tzname Python gives a fixed-offset datetime.timezone. */
export function fixedOffsetName(offset: number): string {
  return offset === 0 ? 'UTC' : `UTC${formatOffset(offset, ':')}`;
}

// --- arithmetic helpers the template engine uses ---

/** Adds months the way isodate does: the day is clamped to the end of the target month. */
function addMonths(dt: PyDate, months: number): [number, number, number] {
  const total = dt.year * 12 + (dt.month - 1) + months;
  const year = Math.floor(total / 12);
  const month = total - year * 12 + 1;
  return [year, month, Math.min(dt.day, daysInMonth(year, month))];
}

/** date/datetime + timedelta/Duration (sign -1 subtracts). */
export function addToDate(value: PyDate, delta: PyTimedelta | PyDuration, sign: 1 | -1): PyDate {
  let base: PyDate = value;
  let micros: number;
  if (delta instanceof PyDuration) {
    const [y, m, d] = addMonths(value, sign * (delta.years * 12 + delta.months));
    base =
      value instanceof PyDateTime
        ? new PyDateTime(
            y,
            m,
            d,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            value.offsetSeconds,
            value.tzName,
          )
        : new PyDate(y, m, d);
    micros = sign * delta.delta.totalMicros;
  } else {
    micros = sign * delta.totalMicros;
  }
  if (base instanceof PyDateTime) return base.plusMicros(micros);
  // a date ignores the seconds part of a timedelta, like Python
  return PyDate.fromDays(
    base.epochDays +
      Math.trunc(micros / MICROS_PER_DAY) -
      (micros < 0 && micros % MICROS_PER_DAY !== 0 ? 1 : 0),
  );
}

// --- strftime ---

const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

function dayOfYear(d: PyDate): number {
  return d.epochDays - daysFromCivil(d.year, 1, 1) + 1;
}

/** ISO 8601 week-numbering year and week. */
function isoWeek(d: PyDate): [number, number] {
  const weekday = d.weekday();
  const thursday = d.epochDays - weekday + 3;
  const [year] = civilFromDays(thursday);
  return [year, Math.floor((thursday - daysFromCivil(year, 1, 1)) / 7) + 1];
}

function asDateTime(d: PyDate): PyDateTime {
  return d instanceof PyDateTime ? d : new PyDateTime(d.year, d.month, d.day);
}

/** One directive's text; numbers come back with their natural zero padding width. */
function directive(
  d: PyDateTime,
  code: string,
): { text: string; numeric?: number; width?: number } | undefined {
  switch (code) {
    case 'Y':
      return { text: String(d.year), numeric: d.year, width: 1 };
    case 'y':
      return { text: pad(d.year % 100, 2), numeric: d.year % 100, width: 2 };
    case 'C':
      return { text: pad(Math.floor(d.year / 100), 2), numeric: Math.floor(d.year / 100), width: 2 };
    case 'm':
      return { text: pad(d.month, 2), numeric: d.month, width: 2 };
    case 'd':
      return { text: pad(d.day, 2), numeric: d.day, width: 2 };
    case 'e':
      return { text: String(d.day).padStart(2, ' '), numeric: d.day, width: 2 };
    case 'H':
      return { text: pad(d.hour, 2), numeric: d.hour, width: 2 };
    case 'k':
      return { text: String(d.hour).padStart(2, ' '), numeric: d.hour, width: 2 };
    case 'I':
    case 'l': {
      const h = d.hour % 12 || 12;
      return { text: code === 'I' ? pad(h, 2) : String(h).padStart(2, ' '), numeric: h, width: 2 };
    }
    case 'M':
      return { text: pad(d.minute, 2), numeric: d.minute, width: 2 };
    case 'S':
      return { text: pad(d.second, 2), numeric: d.second, width: 2 };
    case 'f':
      return { text: pad(d.microsecond, 6) };
    case 'p':
      return { text: d.hour < 12 ? 'AM' : 'PM' };
    case 'P':
      return { text: d.hour < 12 ? 'am' : 'pm' };
    case 'j': {
      const n = dayOfYear(d);
      return { text: pad(n, 3), numeric: n, width: 3 };
    }
    case 'a':
      return { text: (WEEKDAYS[d.weekday()] ?? '').slice(0, 3) };
    case 'A':
      return { text: WEEKDAYS[d.weekday()] ?? '' };
    case 'w': {
      const n = (d.weekday() + 1) % 7;
      return { text: String(n), numeric: n, width: 1 };
    }
    case 'u': {
      const n = d.weekday() + 1;
      return { text: String(n), numeric: n, width: 1 };
    }
    case 'b':
    case 'h':
      return { text: (MONTHS[d.month - 1] ?? '').slice(0, 3) };
    case 'B':
      return { text: MONTHS[d.month - 1] ?? '' };
    case 'U':
    case 'W': {
      const doy = dayOfYear(d) - 1;
      const wd = code === 'U' ? (d.weekday() + 1) % 7 : d.weekday();
      const n = Math.floor((doy + 7 - wd) / 7);
      return { text: pad(n, 2), numeric: n, width: 2 };
    }
    case 'G': {
      const [y] = isoWeek(d);
      return { text: String(y), numeric: y, width: 1 };
    }
    case 'V': {
      const [, w] = isoWeek(d);
      return { text: pad(w, 2), numeric: w, width: 2 };
    }
    case 'z':
      return { text: formatOffset(d.offsetSeconds, '') };
    case 'Z':
      return { text: d.offsetSeconds === null ? '' : (d.tzName ?? '') };
    case 's': {
      // CPython hands %s to the C library, which reads the wall clock in the machine's zone (UTC here)
      const n = Math.floor(d.wallMicros / MICROS_PER_SECOND);
      return { text: String(n) };
    }
    case 'F':
      return { text: `${d.year}-${pad(d.month, 2)}-${pad(d.day, 2)}` };
    case 'D':
      return { text: `${pad(d.month, 2)}/${pad(d.day, 2)}/${pad(d.year % 100, 2)}` };
    case 'T':
      return { text: `${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}` };
    case 'R':
      return { text: `${pad(d.hour, 2)}:${pad(d.minute, 2)}` };
    case 'c':
      return {
        text: `${(WEEKDAYS[d.weekday()] ?? '').slice(0, 3)} ${(MONTHS[d.month - 1] ?? '').slice(0, 3)} ${String(d.day).padStart(2, ' ')} ${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)} ${d.year}`,
      };
    case 'x':
      return { text: `${pad(d.month, 2)}/${pad(d.day, 2)}/${pad(d.year % 100, 2)}` };
    case 'X':
      return { text: `${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}` };
    case 'n':
      return { text: '\n' };
    case 't':
      return { text: '\t' };
    case '%':
      return { text: '%' };
    default:
      return undefined;
  }
}

/** Python's date/datetime.strftime on Linux (glibc flags `-`, `_`, `0`, `^` included). */
export function strftime(value: PyDate, format: string): string {
  const d = asDateTime(value);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    let j = i + 1;
    let flag = '';
    if (j < format.length && '-_0^#'.includes(format[j] ?? '')) flag = format[j++] ?? '';
    const code = format[j];
    if (code === undefined) {
      out += format.slice(i);
      break;
    }
    const part = directive(d, code);
    if (!part) {
      out += format.slice(i, j + 1);
      i = j;
      continue;
    }
    let text = part.text;
    if (part.numeric !== undefined && (flag === '-' || flag === '_' || flag === '0')) {
      const raw = String(part.numeric);
      const width = part.width ?? raw.length;
      text = flag === '-' ? raw : raw.padStart(width, flag === '_' ? ' ' : '0');
    } else if (flag === '^') {
      text = text.toUpperCase();
    }
    out += text;
    i = j;
  }
  return out;
}

// --- strptime ---

interface Parsed {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  micro: number;
  offset: number | null;
  tzName: string | null;
  pm: boolean | null;
  doy: number | null;
  weekday: number | null;
  weekOfYear: number | null;
  weekStartsMonday: boolean;
}

const STRPTIME_PATTERNS: Record<string, string> = {
  d: '(3[01]|[12]\\d|0[1-9]|[1-9]| [1-9])',
  f: '(\\d{1,6})',
  H: '(2[0-3]|[0-1]\\d|\\d)',
  I: '(1[0-2]|0[1-9]|[1-9])',
  G: '(\\d\\d\\d\\d)',
  j: '(36[0-6]|3[0-5]\\d|[12]\\d\\d|0[1-9]\\d|00[1-9]|[1-9]\\d|0[1-9]|[1-9])',
  m: '(1[0-2]|0[1-9]|[1-9])',
  M: '([0-5]\\d|\\d)',
  S: '(6[0-1]|[0-5]\\d|\\d)',
  U: '(5[0-3]|[0-4]\\d|\\d)',
  w: '([0-6])',
  u: '([1-7])',
  V: '(5[0-3]|0[1-9]|[1-4]\\d|\\d)',
  y: '(\\d\\d)',
  Y: '(\\d\\d\\d\\d)',
  z: '([+-]\\d\\d:?[0-5]\\d(?::?[0-5]\\d(?:\\.\\d{1,6})?)?|(?-i:Z))',
  a: '(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)',
  b: '(january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)',
  p: '(am|pm)',
  Z: '(utc|gmt)',
  '%': '(%)',
};
STRPTIME_PATTERNS.A = STRPTIME_PATTERNS.a ?? '';
STRPTIME_PATTERNS.B = STRPTIME_PATTERNS.b ?? '';
STRPTIME_PATTERNS.W = STRPTIME_PATTERNS.U ?? '';

const compiledFormats = new Map<string, { regex: RegExp; codes: string[] }>();

function compileStrptime(format: string): { regex: RegExp; codes: string[] } {
  const cached = compiledFormats.get(format);
  if (cached) return cached;
  let source = '';
  const codes: string[] = [];
  for (let i = 0; i < format.length; i++) {
    const ch = format[i] ?? '';
    if (ch === '%') {
      const code = format[i + 1];
      const pattern = code === undefined ? undefined : STRPTIME_PATTERNS[code];
      if (code === undefined || pattern === undefined) {
        throw new PyDateValueError(
          code === undefined ? 'stray % in format' : `'${code}' is a bad directive in format '${format}'`,
        );
      }
      source += pattern;
      codes.push(code);
      i++;
    } else if (/\s/.test(ch)) {
      source += '\\s+';
      while (/\s/.test(format[i + 1] ?? '')) i++;
    } else {
      source += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  // `(?-i:Z)` is not JS syntax; Python accepts only a capital Z there, we accept both (harmless)
  const compiled = { regex: new RegExp(`^${source.replaceAll('(?-i:Z)', 'Z')}`, 'i'), codes };
  if (compiledFormats.size > 500) compiledFormats.clear();
  compiledFormats.set(format, compiled);
  return compiled;
}

function indexOfName(names: string[], text: string): number {
  const lower = text.toLowerCase();
  return names.findIndex((n) => n.toLowerCase() === lower || n.slice(0, 3).toLowerCase() === lower);
}

/** Python's datetime.strptime: a naive datetime unless the format has %z (or %Z naming UTC). */
export function strptime(text: string, format: string): PyDateTime {
  const { regex, codes } = compileStrptime(format);
  const match = regex.exec(text);
  if (!match) throw new PyDateValueError(`time data '${text}' does not match format '${format}'`);
  if (match[0].length !== text.length)
    throw new PyDateValueError(`unconverted data remains: ${text.slice(match[0].length)}`);
  const p: Parsed = {
    year: 1900,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    micro: 0,
    offset: null,
    tzName: null,
    pm: null,
    doy: null,
    weekday: null,
    weekOfYear: null,
    weekStartsMonday: true,
  };
  codes.forEach((code, index) => {
    const raw = match[index + 1] ?? '';
    const n = Number(raw);
    switch (code) {
      case 'Y':
      case 'G':
        p.year = n;
        break;
      case 'y':
        p.year = n <= 68 ? 2000 + n : 1900 + n;
        break;
      case 'm':
        p.month = n;
        break;
      case 'd':
        p.day = n;
        break;
      case 'H':
        p.hour = n;
        break;
      case 'I':
        p.hour = n;
        break;
      case 'M':
        p.minute = n;
        break;
      case 'S':
        p.second = n === 60 || n === 61 ? 59 : n;
        break;
      case 'f':
        p.micro = Number(raw.padEnd(6, '0'));
        break;
      case 'p':
        p.pm = raw.toLowerCase() === 'pm';
        break;
      case 'j':
        p.doy = n;
        break;
      case 'a':
      case 'A':
        p.weekday = indexOfName(WEEKDAYS, raw);
        break;
      case 'w':
        p.weekday = (n + 6) % 7;
        break;
      case 'u':
        p.weekday = n - 1;
        break;
      case 'b':
      case 'B':
        p.month = indexOfName(MONTHS, raw) + 1;
        break;
      case 'U':
      case 'W':
        p.weekOfYear = n;
        p.weekStartsMonday = code === 'W';
        break;
      case 'z':
        if (raw === 'Z' || raw === 'z') {
          p.offset = 0;
        } else {
          const digits = raw.slice(1).replaceAll(':', '');
          const seconds =
            Number(digits.slice(0, 2)) * 3600 +
            Number(digits.slice(2, 4)) * 60 +
            Number(digits.slice(4, 6) || '0');
          p.offset = raw.startsWith('-') ? -seconds : seconds;
        }
        p.tzName = fixedOffsetName(p.offset);
        break;
      case 'Z':
        // Python records the name but stays naive unless %z is also given
        break;
      default:
        break;
    }
  });
  if (p.pm !== null && codes.includes('I')) {
    if (p.pm && p.hour !== 12) p.hour += 12;
    if (!p.pm && p.hour === 12) p.hour = 0;
  }
  if (p.doy !== null) {
    const days = daysFromCivil(p.year, 1, 1) + p.doy - 1;
    const [y, m, d] = civilFromDays(days);
    p.year = y;
    p.month = m;
    p.day = d;
  } else if (p.weekOfYear !== null && p.weekday !== null) {
    const jan1 = daysFromCivil(p.year, 1, 1);
    const jan1Weekday = (((jan1 + 3) % 7) + 7) % 7;
    const firstWeekStart = p.weekStartsMonday
      ? jan1 + ((7 - jan1Weekday) % 7)
      : jan1 + ((6 - jan1Weekday + 7) % 7);
    const weekdayOffset = p.weekStartsMonday ? p.weekday : (p.weekday + 1) % 7;
    const days =
      p.weekOfYear === 0
        ? firstWeekStart - 7 + weekdayOffset
        : firstWeekStart + (p.weekOfYear - 1) * 7 + weekdayOffset;
    const [y, m, d] = civilFromDays(days);
    p.year = y;
    p.month = m;
    p.day = d;
  }
  checkDate(p.year, p.month, p.day);
  return new PyDateTime(p.year, p.month, p.day, p.hour, p.minute, p.second, p.micro, p.offset, p.tzName);
}

// --- ISO 8601 (dateutil.parser.isoparse) ---

function isoDate(text: string): { date: [number, number, number]; rest: string } {
  let m = /^(\d{4})-?W(\d{2})(?:-?(\d))?/.exec(text);
  if (m) {
    const year = Number(m[1]);
    const week = Number(m[2]);
    const day = m[3] === undefined ? 1 : Number(m[3]);
    const jan4 = daysFromCivil(year, 1, 4);
    const week1Monday = jan4 - ((((jan4 + 3) % 7) + 7) % 7);
    return { date: civilFromDays(week1Monday + (week - 1) * 7 + day - 1), rest: text.slice(m[0].length) };
  }
  m = /^(\d{4})-(\d{2})-(\d{2})/.exec(text) ?? /^(\d{4})(\d{2})(\d{2})/.exec(text);
  if (m) return { date: [Number(m[1]), Number(m[2]), Number(m[3])], rest: text.slice(m[0].length) };
  m = /^(\d{4})-?(\d{3})(?!\d)/.exec(text);
  if (m) {
    const [y, mo, d] = civilFromDays(daysFromCivil(Number(m[1]), 1, 1) + Number(m[2]) - 1);
    return { date: [y, mo, d], rest: text.slice(m[0].length) };
  }
  m = /^(\d{4})-(\d{2})(?!\d)/.exec(text);
  if (m) return { date: [Number(m[1]), Number(m[2]), 1], rest: text.slice(m[0].length) };
  m = /^(\d{4})/.exec(text);
  if (m) return { date: [Number(m[1]), 1, 1], rest: text.slice(m[0].length) };
  throw new PyDateValueError(`ISO string too short: '${text}'`);
}

/** dateutil's isoparse: an ISO 8601 date or datetime; naive unless it carries an offset or Z. */
export function isoparse(text: string): PyDateTime {
  const { date, rest } = isoDate(text);
  const [year, month, day] = date;
  checkDate(year, month, day);
  if (rest === '') return new PyDateTime(year, month, day);
  // any single character separates the date from the time
  const time = rest.slice(1);
  const m = /^(\d{2})(?::?(\d{2})(?::?(\d{2})(?:[.,](\d+))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/.exec(time);
  if (!m) throw new PyDateValueError('Unused components in ISO string');
  let hour = Number(m[1]);
  const minute = Number(m[2] ?? 0);
  const second = Number(m[3] ?? 0);
  const micro = m[4] ? Number(m[4].slice(0, 6).padEnd(6, '0')) : 0;
  let offset: number | null = null;
  let tzName: string | null = null;
  const zone = m[5];
  if (zone) {
    if (zone === 'Z' || zone === 'z') {
      offset = 0;
      tzName = 'UTC';
    } else {
      const digits = zone.slice(1).replace(':', '');
      const seconds = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60;
      offset = zone.startsWith('-') ? -seconds : seconds;
      tzName = offset === 0 ? 'UTC' : null;
    }
  }
  let addDay = false;
  if (hour === 24) {
    if (minute || second || micro) throw new PyDateValueError('Hour may only be 24 at 24:00:00.000');
    hour = 0;
    addDay = true;
  }
  if (minute > 59 || second > 59) throw new PyDateValueError('minute or second must be in 0..59');
  const parsed = new PyDateTime(year, month, day, hour, minute, second, micro, offset, tzName);
  return addDay ? parsed.plusMicros(MICROS_PER_DAY) : parsed;
}

/** The reference's `str_to_datetime`: isoparse, naive taken as UTC, converted to UTC. */
export function strToDatetime(text: string): PyDateTime {
  const parsed = isoparse(text);
  return parsed.isAware ? parsed.toOffset(0, 'UTC') : parsed.withOffset(0, 'UTC');
}

// --- ISO 8601 durations (isodate.parse_duration) ---

/** isodate's parse_duration: a timedelta, or a Duration when years or months are present. */
export function parseIsoDuration(text: string): PyTimedelta | PyDuration {
  const m =
    /^([+-])?P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/.exec(
      text,
    );
  if (!m || text === 'P' || text.endsWith('T'))
    throw new PyDateValueError(`Unable to parse duration string '${text}'`);
  const num = (s: string | undefined): number => (s === undefined ? 0 : Number(s.replace(',', '.')));
  const sign = m[1] === '-' ? -1 : 1;
  const delta = PyTimedelta.of({
    weeks: sign * num(m[4]),
    days: sign * num(m[5]),
    hours: sign * num(m[6]),
    minutes: sign * num(m[7]),
    seconds: sign * num(m[8]),
  });
  const years = num(m[2]);
  const months = num(m[3]);
  if (years || months) return new PyDuration(sign * years, sign * months, delta);
  return delta;
}

// --- the reference's DatetimeParser ---

const UNIX_EPOCH_DAYS = 0;

/**
 * Parses `value` by `format` like the reference's DatetimeParser: `%s`, `%s_as_float`, `%ms`,
 * `%epoch_microseconds` as epoch numbers, `%_ms` as milliseconds, anything else by strptime;
 * the result is UTC when the text carries no offset.
 */
export function parseDatetime(value: string | number, format: string): PyDateTime {
  const text = String(value);
  const integer = (): number => {
    // Python's int() truncates a float (a JSON number like 1198.44) but refuses the text "1198.44"
    if (typeof value === 'number' && Number.isFinite(value)) return Math.trunc(value);
    const n = Number(text.trim());
    if (!/^\s*[+-]?\d+\s*$/.test(text) || !Number.isFinite(n)) {
      throw new PyDateValueError(`invalid literal for int() with base 10: '${text}'`);
    }
    return n;
  };
  switch (format) {
    case '%s':
      return PyDateTime.fromEpochMicros(integer() * MICROS_PER_SECOND, 0, 'UTC');
    case '%s_as_float': {
      const n = Number(text);
      if (text.trim() === '' || Number.isNaN(n))
        throw new PyDateValueError(`could not convert string to float: '${text}'`);
      return PyDateTime.fromEpochMicros(Math.round(n * MICROS_PER_SECOND), 0, 'UTC');
    }
    case '%epoch_microseconds':
      return PyDateTime.fromEpochMicros(UNIX_EPOCH_DAYS + integer(), 0, 'UTC');
    case '%ms':
      return PyDateTime.fromEpochMicros(integer() * 1000, 0, 'UTC');
    default: {
      const parsed = strptime(text, format.replaceAll('%_ms', '%f'));
      return parsed.isAware ? parsed : parsed.withOffset(0, 'UTC');
    }
  }
}

/** Formats like the reference's DatetimeParser (epoch formats by the instant, the rest by strftime). */
export function formatDatetime(value: PyDateTime, format: string): string {
  switch (format) {
    case '%s':
      return String(Math.floor(value.epochMicros / MICROS_PER_SECOND));
    case '%s_as_float':
      return pyFloatRepr(value.timestamp());
    case '%epoch_microseconds':
      return String(Math.trunc(value.epochMicros));
    case '%ms':
      return String(Math.trunc(value.epochMicros / 1000));
    default:
      break;
  }
  if (format.includes('%_ms')) {
    const withMicros = strftime(value, format.replaceAll('%_ms', '%f'));
    return withMicros.replaceAll(pad(value.microsecond, 6), pad(Math.floor(value.microsecond / 1000), 3));
  }
  return strftime(value, format);
}

/** Python's repr() of a float: shortest round-trip digits, exponent outside 1e-4 <= |x| < 1e16. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa = '', expText = '0'] = value.toExponential().split('e');
  const exponent = Number(expText);
  if (exponent < -4 || exponent >= 16) {
    const digits = mantissa.includes('.') ? mantissa : mantissa;
    return `${digits}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  let text: string;
  if (exponent >= 0) {
    const intPart = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    const frac = digits.slice(exponent + 1);
    text = `${intPart}.${frac || '0'}`;
  } else {
    text = `0.${'0'.repeat(-exponent - 1)}${digits}`;
  }
  return negative ? `-${text}` : text;
}

/** The local calendar date in an IANA zone (today_with_timezone). */
export function todayInZone(zone: string, nowMillis: number = Date.now()): PyDate {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
    }).formatToParts(new Date(nowMillis));
  } catch {
    throw new PyDateValueError(`unknown time zone '${zone}'`);
  }
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return new PyDate(get('year'), get('month'), get('day'));
}
