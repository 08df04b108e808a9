// The Python methods and properties a template may use, per type: str, list, dict, datetime,
// date, timedelta. This whitelist is the sandbox: a name not listed here is not reachable,
// and nothing of JavaScript's own objects (constructors, prototypes) ever is.

import { PyDate, PyDateTime, PyTimedelta, strftime } from './python-datetime.js';
import { pyRsplit, pySplit, pyStrip, strFormat } from './python-strings.js';
import {
  bind,
  checkSize,
  getAttr,
  installMethodTables,
  type Kwargs,
  type MethodImpl,
  orDefault,
  type RenderState,
} from './runtime.js';
import {
  dictEntries,
  dictGet,
  dictKeys,
  dictSet,
  isDict,
  isPlainObject,
  isTuple,
  iterate,
  MISSING,
  makeFloat,
  makeTuple,
  num,
  PyError,
  PyUndefined,
  pyCompare,
  pyEquals,
  pyStr,
  TemplateMapping,
  typeError,
  typeName,
  valueError,
} from './values.js';

type Method<T> = (self: T, args: unknown[], kwargs: Kwargs, state: RenderState) => unknown;

function str(value: unknown, what: string): string {
  if (typeof value !== 'string') throw typeError(`${what} must be str, not ${typeName(value)}`);
  return value;
}

function optionalStr(value: unknown, what: string): string | null {
  return value === MISSING || value === null ? null : str(value, what);
}

function intArg(value: unknown, fallback: number): number {
  return value === MISSING || value === null ? fallback : Math.trunc(num(value));
}

function prefixes(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => str(v, 'tuple for startswith/endswith'));
  return [str(value, 'startswith/endswith first arg')];
}

function cut(text: string, start: unknown, end: unknown): string {
  const chars = [...text];
  const len = chars.length;
  const norm = (v: unknown, d: number): number => {
    if (v === MISSING || v === null) return d;
    const i = Math.trunc(num(v));
    return Math.min(Math.max(i < 0 ? i + len : i, 0), len);
  };
  return chars.slice(norm(start, 0), norm(end, len)).join('');
}

/** Python's str.splitlines boundaries. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the separators Python splits lines on
const LINE_BREAKS = /\r\n|[\n\r\v\f\u001c\u001d\u001e\u0085\u2028\u2029]/;

const STRING_METHODS: Record<string, Method<string>> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''),
  capitalize: (s) => (s ? (s[0] ?? '').toUpperCase() + s.slice(1).toLowerCase() : s),
  title: (s) =>
    s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()),
  strip: (s, a, k) => pyStrip(s, optionalStr(bind('strip', a, k, ['chars'], 0)[0], 'strip arg'), true, true),
  lstrip: (s, a, k) =>
    pyStrip(s, optionalStr(bind('lstrip', a, k, ['chars'], 0)[0], 'lstrip arg'), true, false),
  rstrip: (s, a, k) =>
    pyStrip(s, optionalStr(bind('rstrip', a, k, ['chars'], 0)[0], 'rstrip arg'), false, true),
  split: (s, a, k) => {
    const [sep, max] = bind('split', a, k, ['sep', 'maxsplit'], 0);
    return pySplit(s, optionalStr(sep, 'sep'), intArg(max, -1));
  },
  rsplit: (s, a, k) => {
    const [sep, max] = bind('rsplit', a, k, ['sep', 'maxsplit'], 0);
    return pyRsplit(s, optionalStr(sep, 'sep'), intArg(max, -1));
  },
  splitlines: (s) => s.split(LINE_BREAKS).filter((_, i, all) => i < all.length - 1 || all[i] !== ''),
  replace: (s, a, k) => {
    const [oldText, newText, count] = bind('replace', a, k, ['old', 'new', 'count'], 2);
    const from = str(oldText, 'replace() argument 1');
    const to = str(newText, 'replace() argument 2');
    const n = intArg(count, -1);
    if (n < 0) {
      const result = from === '' ? [...s].join(to).replace(/^/, to) + (s ? to : '') : s.split(from).join(to);
      checkSize(result.length);
      return from === '' && !s ? to : result;
    }
    let out = s;
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const at = out.indexOf(from, pos);
      if (at < 0) break;
      out = out.slice(0, at) + to + out.slice(at + from.length);
      pos = at + to.length + (from === '' ? 1 : 0);
    }
    return out;
  },
  startswith: (s, a, k) => {
    const [prefix, start, end] = bind('startswith', a, k, ['prefix', 'start', 'end'], 1);
    const part = cut(s, start, end);
    return prefixes(prefix).some((p) => part.startsWith(p));
  },
  endswith: (s, a, k) => {
    const [suffix, start, end] = bind('endswith', a, k, ['suffix', 'start', 'end'], 1);
    const part = cut(s, start, end);
    return prefixes(suffix).some((p) => part.endsWith(p));
  },
  find: (s, a, k) => {
    const [sub, start] = bind('find', a, k, ['sub', 'start', 'end'], 1);
    return s.indexOf(str(sub, 'find arg'), intArg(start, 0));
  },
  rfind: (s, a, k) => s.lastIndexOf(str(bind('rfind', a, k, ['sub', 'start', 'end'], 1)[0], 'rfind arg')),
  index: (s, a, k) => {
    const i = s.indexOf(str(bind('index', a, k, ['sub', 'start', 'end'], 1)[0], 'index arg'));
    if (i < 0) throw valueError('substring not found');
    return i;
  },
  count: (s, a, k) => {
    const sub = str(bind('count', a, k, ['sub', 'start', 'end'], 1)[0], 'count arg');
    return sub === '' ? [...s].length + 1 : s.split(sub).length - 1;
  },
  join: (s, a, k, state) => {
    const items = iterate(bind('join', a, k, ['iterable'], 1)[0]);
    state.charge(items.length);
    return items
      .map((item, i) => {
        if (typeof item !== 'string')
          throw typeError(`sequence item ${i}: expected str instance, ${typeName(item)} found`);
        return item;
      })
      .join(s);
  },
  format: (s, a, k, state) =>
    strFormat(s, a, k, (obj, name) =>
      obj instanceof PyUndefined ? obj.fail() : getAttrForFormat(obj, name, state),
    ),
  zfill: (s, a, k) => {
    const width = intArg(bind('zfill', a, k, ['width'], 1)[0], 0);
    const sign = /^[+-]/.test(s) ? (s[0] ?? '') : '';
    return sign + s.slice(sign.length).padStart(width - sign.length, '0');
  },
  ljust: (s, a, k) => {
    const [w, f] = bind('ljust', a, k, ['width', 'fillchar'], 1);
    return s.padEnd(intArg(w, 0), f === MISSING ? ' ' : str(f, 'fillchar'));
  },
  rjust: (s, a, k) => {
    const [w, f] = bind('rjust', a, k, ['width', 'fillchar'], 1);
    return s.padStart(intArg(w, 0), f === MISSING ? ' ' : str(f, 'fillchar'));
  },
  center: (s, a, k) => {
    const [w, f] = bind('center', a, k, ['width', 'fillchar'], 1);
    const width = intArg(w, 0);
    const fill = f === MISSING ? ' ' : str(f, 'fillchar');
    if (width <= s.length) return s;
    const total = width - s.length;
    const left = Math.floor(total / 2) + (total & width & 1);
    return fill.repeat(left) + s + fill.repeat(total - left);
  },
  partition: (s, a, k) => {
    const sep = str(bind('partition', a, k, ['sep'], 1)[0], 'sep');
    const i = s.indexOf(sep);
    return makeTuple(i < 0 ? [s, '', ''] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a, k) => {
    const sep = str(bind('rpartition', a, k, ['sep'], 1)[0], 'sep');
    const i = s.lastIndexOf(sep);
    return makeTuple(i < 0 ? ['', '', s] : [s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  removeprefix: (s, a, k) => {
    const p = str(bind('removeprefix', a, k, ['prefix'], 1)[0], 'prefix');
    return p && s.startsWith(p) ? s.slice(p.length) : s;
  },
  removesuffix: (s, a, k) => {
    const p = str(bind('removesuffix', a, k, ['suffix'], 1)[0], 'suffix');
    return p && s.endsWith(p) ? s.slice(0, -p.length) : s;
  },
  isdigit: (s) => /^\d+$/.test(s),
  isdecimal: (s) => /^\d+$/.test(s),
  isnumeric: (s) => /^\p{N}+$/u.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
};

function getAttrForFormat(obj: unknown, name: string, state: RenderState): unknown {
  return getAttr(obj, name, state);
}

const LIST_METHODS: Record<string, Method<unknown[]>> = {
  append: (l, a, k) => {
    const [item] = bind('append', a, k, ['object'], 1);
    checkSize(l.length + 1);
    l.push(item);
    return null;
  },
  extend: (l, a, k, state) => {
    const items = iterate(bind('extend', a, k, ['iterable'], 1)[0]);
    state.charge(items.length);
    checkSize(l.length + items.length);
    l.push(...items);
    return null;
  },
  insert: (l, a, k) => {
    const [index, item] = bind('insert', a, k, ['index', 'object'], 2);
    let i = Math.trunc(num(index));
    if (i < 0) i = Math.max(0, i + l.length);
    l.splice(Math.min(i, l.length), 0, item);
    return null;
  },
  pop: (l, a, k) => {
    if (l.length === 0) throw new PyError('IndexError', 'pop from empty list');
    let i = intArg(bind('pop', a, k, ['index'], 0)[0], -1);
    if (i < 0) i += l.length;
    if (i < 0 || i >= l.length) throw new PyError('IndexError', 'pop index out of range');
    return l.splice(i, 1)[0];
  },
  remove: (l, a, k) => {
    const [item] = bind('remove', a, k, ['value'], 1);
    const i = l.findIndex((x) => pyEquals(x, item));
    if (i < 0) throw valueError('list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  index: (l, a, k) => {
    const [item] = bind('index', a, k, ['value', 'start', 'stop'], 1);
    const i = l.findIndex((x) => pyEquals(x, item));
    if (i < 0) throw valueError(`${pyStr(item)} is not in list`);
    return i;
  },
  count: (l, a, k) => {
    const [item] = bind('count', a, k, ['value'], 1);
    return l.filter((x) => pyEquals(x, item)).length;
  },
  copy: (l) => [...l],
  reverse: (l) => {
    l.reverse();
    return null;
  },
  sort: (l, a, k) => {
    const [, reverse] = bind('sort', a, k, ['key', 'reverse'], 0);
    l.sort((x, y) => pyCompare(x, y));
    if (reverse === true) l.reverse();
    return null;
  },
};

const TUPLE_METHOD_NAMES = new Set(['index', 'count']);

type Dict = Parameters<typeof dictGet>[0];

const DICT_METHODS: Record<string, Method<Dict>> = {
  get: (d, a, k) => {
    const [key, fallback] = bind('get', a, k, ['key', 'default'], 1);
    const value = dictGet(d, key);
    return value === MISSING ? orDefault(fallback, null) : value;
  },
  keys: (d) => dictKeys(d),
  values: (d) => dictEntries(d).map(([, v]) => v),
  items: (d) => dictEntries(d).map(([key, v]) => makeTuple([key, v])),
  update: (d, a, k) => {
    const [other] = bind('update', a, undefined, ['other'], 0);
    if (other !== MISSING) {
      if (!isDict(other)) throw typeError(`'${typeName(other)}' object is not iterable as a mapping`);
      for (const [key, v] of dictEntries(other)) dictSet(d, key, v);
    }
    if (k) for (const [key, v] of k) dictSet(d, key, v);
    return null;
  },
  pop: (d, a, k) => {
    const [key, fallback] = bind('pop', a, k, ['key', 'default'], 1);
    const value = dictGet(d, key);
    if (value === MISSING) {
      if (fallback === MISSING) throw new PyError('KeyError', pyStr(key));
      return fallback;
    }
    const m = d instanceof TemplateMapping ? d.mapping : d;
    if (m instanceof Map) m.delete(key);
    else delete m[key as string];
    return value;
  },
  setdefault: (d, a, k) => {
    const [key, fallback] = bind('setdefault', a, k, ['key', 'default'], 1);
    const value = dictGet(d, key);
    if (value !== MISSING) return value;
    const v = orDefault(fallback, null);
    dictSet(d, key, v);
    return v;
  },
  copy: (d) => new Map(dictEntries(d)),
};

function replaceDate(d: PyDate, kwargs: Kwargs): PyDate {
  const get = (name: string, current: number): number =>
    kwargs?.has(name) ? Math.trunc(num(kwargs.get(name))) : current;
  if (d instanceof PyDateTime) {
    let offset = d.offsetSeconds;
    let tzName = d.tzName;
    if (kwargs?.has('tzinfo')) {
      const tz = kwargs.get('tzinfo');
      if (tz !== null) throw typeError('replace(tzinfo=...) only accepts None in templates');
      offset = null;
      tzName = null;
    }
    return new PyDateTime(
      get('year', d.year),
      get('month', d.month),
      get('day', d.day),
      get('hour', d.hour),
      get('minute', d.minute),
      get('second', d.second),
      get('microsecond', d.microsecond),
      offset,
      tzName,
    );
  }
  return new PyDate(get('year', d.year), get('month', d.month), get('day', d.day));
}

const DATE_METHODS: Record<string, Method<PyDate>> = {
  strftime: (d, a, k) => strftime(d, str(bind('strftime', a, k, ['format'], 1)[0], 'strftime() argument 1')),
  isoformat: (d, a, k) => {
    if (d instanceof PyDateTime) {
      const [sep, timespec] = bind('isoformat', a, k, ['sep', 'timespec'], 0);
      return d.isoformat(
        sep === MISSING ? 'T' : str(sep, 'isoformat() argument 1'),
        timespec === MISSING ? 'auto' : str(timespec, 'timespec'),
      );
    }
    return d.isoformat();
  },
  weekday: (d) => d.weekday(),
  isoweekday: (d) => d.weekday() + 1,
  replace: (d, a, k) => {
    if (a.length) throw typeError('use keyword arguments with replace() in templates');
    return replaceDate(d, k);
  },
  toordinal: (d) => d.epochDays + 719_163,
};

const DATETIME_METHODS: Record<string, Method<PyDateTime>> = {
  timestamp: (d) => makeFloat(d.timestamp()),
  date: (d) => d.date(),
  utcoffset: (d) => (d.offsetSeconds === null ? null : PyTimedelta.of({ seconds: d.offsetSeconds })),
  tzname: (d) => (d.offsetSeconds === null ? null : d.tzName),
};

const TIMEDELTA_METHODS: Record<string, Method<PyTimedelta>> = {
  total_seconds: (t) => makeFloat(t.totalSeconds()),
};

function lookup(obj: unknown, name: string): MethodImpl | undefined {
  let table: Record<string, Method<never>> | undefined;
  if (typeof obj === 'string') table = STRING_METHODS as Record<string, Method<never>>;
  else if (Array.isArray(obj)) {
    if (isTuple(obj)) {
      return TUPLE_METHOD_NAMES.has(name) ? (LIST_METHODS[name] as MethodImpl) : undefined;
    }
    table = LIST_METHODS as Record<string, Method<never>>;
  } else if (obj instanceof Map || isPlainObject(obj) || obj instanceof TemplateMapping)
    table = DICT_METHODS as Record<string, Method<never>>;
  else if (obj instanceof PyDateTime) {
    const own = Object.hasOwn(DATETIME_METHODS, name) ? DATETIME_METHODS[name] : undefined;
    if (own) return own as MethodImpl;
    table = DATE_METHODS as Record<string, Method<never>>;
  } else if (obj instanceof PyDate) table = DATE_METHODS as Record<string, Method<never>>;
  else if (obj instanceof PyTimedelta) table = TIMEDELTA_METHODS as Record<string, Method<never>>;
  if (!table || !Object.hasOwn(table, name)) return undefined;
  return table[name] as MethodImpl;
}

function property(obj: unknown, name: string): unknown {
  if (obj instanceof PyDate) {
    switch (name) {
      case 'year':
        return obj.year;
      case 'month':
        return obj.month;
      case 'day':
        return obj.day;
      default:
        break;
    }
    if (obj instanceof PyDateTime) {
      switch (name) {
        case 'hour':
          return obj.hour;
        case 'minute':
          return obj.minute;
        case 'second':
          return obj.second;
        case 'microsecond':
          return obj.microsecond;
        case 'tzinfo':
          return obj.offsetSeconds === null ? null : (obj.tzName ?? 'UTC');
        default:
          break;
      }
    }
  }
  if (obj instanceof PyTimedelta) {
    if (name === 'days') return obj.days;
    if (name === 'seconds') return obj.seconds;
    if (name === 'microseconds') return obj.microseconds;
  }
  return MISSING;
}

/** Makes these tables the ones the runtime's attribute lookup consults. */
export function installMethods(): void {
  installMethodTables({ lookup, property });
}
