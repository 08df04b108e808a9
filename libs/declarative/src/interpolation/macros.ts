// The functions a template may call by name: the reference's macros (now_utc, today_utc,
// today_with_timezone, timestamp, max, min, day_delta, duration, format_datetime,
// str_to_datetime, sanitize_url, camel_case_to_snake_case, generate_uuid) with the same
// outputs, and Jinja's globals `dict` and `namespace`. (`range` is withheld, as in the reference.)
// The clock is Date.now(), so tests freeze it with fake timers.

import { randomUUID } from 'node:crypto';
import { quotePlus } from './filters.js';
import {
  formatDatetime,
  PyDateTime,
  PyDateValueError,
  PyTimedelta,
  parseDatetime,
  parseIsoDuration,
  strftime,
  strptime,
  strToDatetime,
  todayInZone,
} from './python-datetime.js';
import { bind, type Kwargs } from './runtime.js';
import {
  dictEntries,
  dictSet,
  isDict,
  isFloat,
  isInt,
  iterate,
  MISSING,
  makeFloat,
  num,
  PyCallable,
  PyError,
  PyNamespace,
  PyUndefined,
  pyCompare,
  typeError,
  typeName,
} from './values.js';

function asValueError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof PyDateValueError) throw new PyError('ValueError', error.message);
    throw error;
  }
}

function requireString(value: unknown, fname: string): string {
  if (value instanceof PyUndefined) value.fail();
  if (typeof value !== 'string') throw typeError(`${fname}: expected a string, got ${typeName(value)}`);
  return value;
}

function extreme(args: unknown[], kwargs: Kwargs, sign: 1 | -1): unknown {
  const name = sign > 0 ? 'max' : 'min';
  if (kwargs?.size) throw typeError(`${name}() got an unexpected keyword argument`);
  if (args.length === 0) throw typeError(`${name} expected at least 1 argument, got 0`);
  const items = args.length === 1 ? iterate(args[0]) : args;
  if (items.length === 0) throw new PyError('ValueError', `${name}() arg is an empty sequence`);
  let best = items[0];
  for (let i = 1; i < items.length; i++) {
    if (pyCompare(items[i], best, sign > 0 ? '>' : '<') * sign > 0) best = items[i];
  }
  return best;
}

function macro(name: string, fn: (args: unknown[], kwargs: Kwargs) => unknown): PyCallable {
  return new PyCallable(name, (args, kwargs) => asValueError(() => fn(args, kwargs)));
}

function formatDatetimeMacro(args: unknown[], kwargs: Kwargs): string {
  const [dt, format, inputFormat] = bind(
    'format_datetime',
    args,
    kwargs,
    ['dt', 'format', 'input_format'],
    2,
  );
  const fmt = requireString(format, 'format_datetime format');
  if (dt instanceof PyDateTime) return strftime(dt, fmt);
  let parsed: PyDateTime;
  const input =
    inputFormat === MISSING || inputFormat === null
      ? null
      : requireString(inputFormat, 'format_datetime input_format');
  if (isInt(dt) || typeof dt === 'boolean') {
    parsed = parseDatetime(num(dt), input ?? '%s');
  } else if (input !== null) {
    parsed = strptime(requireString(dt, 'format_datetime'), input);
  } else {
    if (dt instanceof PyUndefined) dt.fail();
    if (typeof dt !== 'string') throw typeError(`format_datetime: cannot parse a ${typeName(dt)} as a date`);
    parsed = strToDatetime(dt);
  }
  if (!parsed.isAware) parsed = parsed.withOffset(0, 'UTC');
  return formatDatetime(parsed, fmt);
}

export const MACROS: Record<string, PyCallable> = {
  now_utc: macro('now_utc', () => PyDateTime.now()),
  today_utc: macro('today_utc', () => PyDateTime.now().date()),
  today_with_timezone: macro('today_with_timezone', (args, kwargs) => {
    const [zone] = bind('today_with_timezone', args, kwargs, ['timezone'], 1);
    return todayInZone(requireString(zone, 'today_with_timezone'));
  }),
  timestamp: macro('timestamp', (args, kwargs) => {
    const [dt] = bind('timestamp', args, kwargs, ['dt'], 1);
    if (typeof dt === 'number' || isFloat(dt) || typeof dt === 'boolean') return Math.trunc(num(dt));
    return makeFloat(strToDatetime(requireString(dt, 'timestamp')).timestamp());
  }),
  str_to_datetime: macro('str_to_datetime', (args, kwargs) => {
    const [s] = bind('str_to_datetime', args, kwargs, ['s'], 1);
    return strToDatetime(requireString(s, 'str_to_datetime'));
  }),
  max: macro('max', (args, kwargs) => extreme(args, kwargs, 1)),
  min: macro('min', (args, kwargs) => extreme(args, kwargs, -1)),
  day_delta: macro('day_delta', (args, kwargs) => {
    const [days, format] = bind('day_delta', args, kwargs, ['num_days', 'format'], 1);
    const when = PyDateTime.now().plusMicros(PyTimedelta.of({ days: num(days) }).totalMicros);
    return strftime(
      when,
      format === MISSING ? '%Y-%m-%dT%H:%M:%S.%f%z' : requireString(format, 'day_delta format'),
    );
  }),
  duration: macro('duration', (args, kwargs) => {
    const [text] = bind('duration', args, kwargs, ['datestring'], 1);
    return parseIsoDuration(requireString(text, 'duration'));
  }),
  format_datetime: macro('format_datetime', formatDatetimeMacro),
  sanitize_url: macro('sanitize_url', (args, kwargs) => {
    const [value] = bind('sanitize_url', args, kwargs, ['value'], 1);
    return quotePlus(requireString(value, 'sanitize_url'));
  }),
  camel_case_to_snake_case: macro('camel_case_to_snake_case', (args, kwargs) => {
    const [value] = bind('camel_case_to_snake_case', args, kwargs, ['value'], 1);
    return requireString(value, 'camel_case_to_snake_case')
      .replace(/(?<!^)(?=[A-Z])/g, '_')
      .toLowerCase();
  }),
  generate_uuid: macro('generate_uuid', () => randomUUID()),
  dict: macro('dict', (args, kwargs) => {
    const out = new Map<unknown, unknown>();
    if (args.length > 1) throw typeError(`dict expected at most 1 argument, got ${args.length}`);
    if (args.length === 1) {
      const source = args[0];
      if (isDict(source)) for (const [k, v] of dictEntries(source)) out.set(k, v);
      else
        for (const pair of iterate(source)) {
          const [k, v] = iterate(pair);
          dictSet(out, k, v);
        }
    }
    if (kwargs) for (const [k, v] of kwargs) out.set(k, v);
    return out;
  }),
  namespace: macro('namespace', (args, kwargs) => {
    const attributes = new Map<string, unknown>();
    for (const source of args) {
      if (isDict(source)) for (const [k, v] of dictEntries(source)) attributes.set(String(k), v);
    }
    if (kwargs) for (const [k, v] of kwargs) attributes.set(k, v);
    return new PyNamespace(attributes);
  }),
};

export function isMacroName(name: string): boolean {
  return Object.hasOwn(MACROS, name);
}
