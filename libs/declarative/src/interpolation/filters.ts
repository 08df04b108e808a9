// The filters (`value | name(args)`) and tests (`value is name`) a template may use: Jinja's
// built-ins that manifests use, with Jinja 3.1's semantics, plus the reference's own filters
// (hash, base64encode, base64decode, base64binascii_decode, string, regex_search,
// regex_replace, hmac). A filter a manifest names that is not here is a syntax error, as in Jinja.

import { createHash, createHmac, getHashes } from 'node:crypto';
import {
  jsonDumps,
  parsePyFloat,
  parsePyInt,
  percentFormat,
  pyStrip,
  pythonRegex,
  pythonReplacement,
} from './python-strings.js';
import { bind, checkSize, getAttr, getItem, type Kwargs, orDefault, type RenderState } from './runtime.js';
import {
  dictEntries,
  isDict,
  isFloat,
  isInt,
  isNumber,
  iterate,
  MISSING,
  makeFloat,
  makeTuple,
  num,
  PyCallable,
  PyError,
  PyFloat,
  PyUndefined,
  pyCompare,
  pyContains,
  pyEquals,
  pyLen,
  pyStr,
  truthy,
  typeError,
  typeName,
} from './values.js';

export type FilterImpl = (value: unknown, args: unknown[], kwargs: Kwargs, state: RenderState) => unknown;
export type TestImpl = (value: unknown, args: unknown[], state: RenderState) => boolean;

function seq(value: unknown, state: RenderState): unknown[] {
  const items = iterate(value);
  state.charge(items.length);
  return items;
}

/** Jinja's attribute path for map/selectattr/sort: `a.b` or `a.0`. */
function attributeGetter(attribute: unknown, state: RenderState): (item: unknown) => unknown {
  const parts = typeof attribute === 'string' ? attribute.split('.') : [attribute];
  return (item) => {
    let value = item;
    for (const part of parts) {
      const key = typeof part === 'string' && /^\d+$/.test(part) ? Number(part) : part;
      value = getItem(value, key, state);
    }
    return value;
  };
}

function toInt(value: unknown, fallback: unknown, base: number): unknown {
  if (value instanceof PyUndefined) value.fail();
  try {
    if (typeof value === 'string') return parsePyInt(value, base);
    if (isNumber(value)) return Math.trunc(num(value));
    throw typeError('not a number');
  } catch {
    try {
      if (typeof value === 'string') {
        const f = parsePyFloat(value);
        if (!Number.isFinite(f)) return fallback;
        return Math.trunc(f);
      }
    } catch {
      // falls through to the default, like Jinja
    }
    return fallback;
  }
}

function toFloat(value: unknown, fallback: unknown): unknown {
  if (value instanceof PyUndefined) value.fail();
  if (typeof value === 'string') {
    try {
      return makeFloat(parsePyFloat(value));
    } catch {
      return fallback;
    }
  }
  if (isNumber(value)) return makeFloat(num(value));
  return fallback;
}

/** Python's urllib.parse.quote with the given safe characters. */
function urlQuote(value: unknown, safe: string): string {
  const text = typeof value === 'string' ? value : pyStr(value);
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.\-~]/.test(ch) || safe.includes(ch)) out += ch;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function quotePlus(value: string): string {
  return urlQuote(value, ' ').replaceAll(' ', '+');
}

const HASH_NAMES: Record<string, string> = {
  md5: 'md5',
  sha1: 'sha1',
  sha224: 'sha224',
  sha256: 'sha256',
  sha384: 'sha384',
  sha512: 'sha512',
  sha3_224: 'sha3-224',
  sha3_256: 'sha3-256',
  sha3_384: 'sha3-384',
  sha3_512: 'sha3-512',
  blake2b: 'blake2b512',
  blake2s: 'blake2s256',
};

function caseKey(value: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && typeof value === 'string' ? value.toLowerCase() : value;
}

function selectOrReject(
  value: unknown,
  args: unknown[],
  state: RenderState,
  byAttribute: boolean,
  keep: boolean,
): unknown[] {
  const items = seq(value, state);
  let rest = args;
  let get: (item: unknown) => unknown = (item) => item;
  if (byAttribute) {
    const [attribute, ...more] = args;
    if (attribute === undefined) throw typeError('selectattr/rejectattr need an attribute name');
    get = attributeGetter(attribute, state);
    rest = more;
  }
  const [testName, ...testArgs] = rest;
  let predicate: (item: unknown) => boolean = truthy;
  if (testName !== undefined) {
    const name = String(testName);
    const test = Object.hasOwn(TESTS, name) ? TESTS[name] : undefined;
    if (!test) throw new PyError('ValueError', `No test named '${name}'`);
    predicate = (item) => test(item, testArgs, state);
  }
  return items.filter((item) => predicate(get(item)) === keep);
}

export const FILTERS: Record<string, FilterImpl> = {
  default: (value, args, kwargs) => {
    const [fallback, boolean] = bind('default', args, kwargs, ['default_value', 'boolean'], 0);
    const useDefault =
      value instanceof PyUndefined || (boolean !== MISSING && truthy(boolean) && !truthy(value));
    return useDefault ? orDefault(fallback, '') : value;
  },
  length: (value) => pyLen(value),
  count: (value) => pyLen(value),
  first: (value, _a, _k, state) => {
    const items = seq(value, state);
    return items.length ? items[0] : new PyUndefined('No first item, sequence was empty.');
  },
  last: (value, _a, _k, state) => {
    const items = seq(value, state);
    return items.length ? items[items.length - 1] : new PyUndefined('No last item, sequence was empty.');
  },
  join: (value, args, kwargs, state) => {
    const [separator, attribute] = bind('join', args, kwargs, ['d', 'attribute'], 0);
    let items = seq(value, state);
    if (attribute !== MISSING && attribute !== null) items = items.map(attributeGetter(attribute, state));
    const text = items.map(pyStr).join(separator === MISSING ? '' : pyStr(separator));
    checkSize(text.length);
    return text;
  },
  lower: (value) => pyStr(value).toLowerCase(),
  upper: (value) => pyStr(value).toUpperCase(),
  capitalize: (value) => {
    const s = pyStr(value);
    return s ? (s[0] ?? '').toUpperCase() + s.slice(1).toLowerCase() : s;
  },
  title: (value) =>
    pyStr(value).replace(/[\p{L}\p{N}']+/gu, (w) => (w[0] ?? '').toUpperCase() + w.slice(1).toLowerCase()),
  trim: (value, args, kwargs) => {
    const [chars] = bind('trim', args, kwargs, ['chars'], 0);
    return pyStrip(pyStr(value), chars === MISSING || chars === null ? null : pyStr(chars), true, true);
  },
  replace: (value, args, kwargs) => {
    const [oldText, newText, count] = bind('replace', args, kwargs, ['old', 'new', 'count'], 2);
    const s = pyStr(value);
    const from = pyStr(oldText);
    const to = pyStr(newText);
    const n = count === MISSING || count === null ? -1 : Math.trunc(num(count));
    if (n < 0) {
      const out = from === '' ? to + [...s].join(to) + (s ? to : '') : s.split(from).join(to);
      checkSize(out.length);
      return out;
    }
    const parts = s.split(from);
    return (
      parts.slice(0, n + 1).join(to) + (parts.length > n + 1 ? from + parts.slice(n + 1).join(from) : '')
    );
  },
  int: (value, args, kwargs) => {
    const [fallback, base] = bind('int', args, kwargs, ['default', 'base'], 0);
    return toInt(value, orDefault(fallback, 0), base === MISSING ? 10 : num(base));
  },
  float: (value, args, kwargs) => {
    const [fallback] = bind('float', args, kwargs, ['default'], 0);
    return toFloat(value, orDefault(fallback, new PyFloat(0)));
  },
  abs: (value) => {
    if (!isNumber(value)) throw typeError(`bad operand type for abs(): '${typeName(value)}'`);
    const n = Math.abs(num(value));
    return isFloat(value) ? makeFloat(n) : n;
  },
  round: (value, args, kwargs) => {
    const [precision, method] = bind('round', args, kwargs, ['precision', 'method'], 0);
    const p = precision === MISSING ? 0 : num(precision);
    const factor = 10 ** p;
    const x = num(value) * factor;
    const m = method === MISSING ? 'common' : pyStr(method);
    const r = m === 'ceil' ? Math.ceil(x) : m === 'floor' ? Math.floor(x) : roundHalfEven(x);
    return makeFloat(r / factor);
  },
  list: (value, _a, _k, state) => [...seq(value, state)],
  unique: (value, args, kwargs, state) => {
    const [caseSensitive, attribute] = bind('unique', args, kwargs, ['case_sensitive', 'attribute'], 0);
    const get =
      attribute === MISSING || attribute === null ? (x: unknown) => x : attributeGetter(attribute, state);
    const seen: unknown[] = [];
    const out: unknown[] = [];
    for (const item of seq(value, state)) {
      const key = caseKey(get(item), caseSensitive !== MISSING && truthy(caseSensitive));
      if (!seen.some((s) => pyEquals(s, key))) {
        seen.push(key);
        out.push(item);
      }
    }
    return out;
  },
  map: (value, args, kwargs, state) => {
    const items = seq(value, state);
    if (kwargs?.has('attribute')) {
      const get = attributeGetter(kwargs.get('attribute'), state);
      const fallback = kwargs.get('default');
      return items.map((item) => {
        const v = get(item);
        return v instanceof PyUndefined && kwargs.has('default') ? fallback : v;
      });
    }
    const [name, ...rest] = args;
    if (name === undefined) return items;
    const filter = Object.hasOwn(FILTERS, String(name)) ? FILTERS[String(name)] : undefined;
    if (!filter) throw new PyError('ValueError', `No filter named '${String(name)}'`);
    return items.map((item) => filter(item, rest, kwargs, state));
  },
  select: (value, args, _k, state) => selectOrReject(value, args, state, false, true),
  reject: (value, args, _k, state) => selectOrReject(value, args, state, false, false),
  selectattr: (value, args, _k, state) => selectOrReject(value, args, state, true, true),
  rejectattr: (value, args, _k, state) => selectOrReject(value, args, state, true, false),
  attr: (value, args, _k, state) => getAttr(value, pyStr(args[0]), state),
  sort: (value, args, kwargs, state) => {
    const [reverse, caseSensitive, attribute] = bind(
      'sort',
      args,
      kwargs,
      ['reverse', 'case_sensitive', 'attribute'],
      0,
    );
    const get =
      attribute === MISSING || attribute === null ? (x: unknown) => x : attributeGetter(attribute, state);
    const cs = caseSensitive !== MISSING && truthy(caseSensitive);
    const out = [...seq(value, state)].sort((a, b) => pyCompare(caseKey(get(a), cs), caseKey(get(b), cs)));
    return reverse !== MISSING && truthy(reverse) ? out.reverse() : out;
  },
  reverse: (value, _a, _k, state) => {
    if (typeof value === 'string') return [...value].reverse().join('');
    try {
      return [...seq(value, state)].reverse();
    } catch {
      throw new PyError('ValueError', 'argument must be iterable');
    }
  },
  sum: (value, args, kwargs, state) => {
    const [attribute, start] = bind('sum', args, kwargs, ['attribute', 'start'], 0);
    const get =
      attribute === MISSING || attribute === null ? (x: unknown) => x : attributeGetter(attribute, state);
    let total: unknown = start === MISSING ? 0 : start;
    for (const item of seq(value, state)) {
      const v = get(item);
      const n = num(total) + num(v);
      total = isFloat(total) || isFloat(v) ? makeFloat(n) : n;
    }
    return total;
  },
  min: (value, args, kwargs, state) => extreme(value, args, kwargs, state, -1),
  max: (value, args, kwargs, state) => extreme(value, args, kwargs, state, 1),
  items: (value) =>
    value instanceof PyUndefined
      ? []
      : isDict(value)
        ? dictEntries(value).map((e) => e)
        : typeErrorOf('items', value),
  tojson: (value) =>
    jsonDumps(value, true)
      .replaceAll('<', '\\u003c')
      .replaceAll('>', '\\u003e')
      .replaceAll('&', '\\u0026')
      .replaceAll("'", '\\u0027'),
  urlencode: (value) => {
    if (typeof value === 'string') return urlQuote(value, '/');
    if (isDict(value) || Array.isArray(value)) {
      const pairs = isDict(value)
        ? dictEntries(value)
        : (value as unknown[]).map((p) => iterate(p) as [unknown, unknown]);
      return pairs
        .map(
          ([k, v]) => `${urlQuote(k, '').replaceAll('%20', '+')}=${urlQuote(v, '').replaceAll('%20', '+')}`,
        )
        .join('&');
    }
    return urlQuote(pyStr(value), '/');
  },
  format: (value, args) => {
    // `"%s-%s" | format(a, b)`: Python's % formatting
    return percentFormat(pyStr(value), makeTuple(args));
  },
  escape: (value) => htmlEscape(pyStr(value)),
  e: (value) => htmlEscape(pyStr(value)),
  safe: (value) => value,
  wordcount: (value) => (pyStr(value).match(/\w+/gu) ?? []).length,
  center: (value, args) => {
    const s = pyStr(value);
    const width = args[0] === undefined ? 80 : num(args[0]);
    const total = width - s.length;
    if (total <= 0) return s;
    const left = Math.floor(total / 2) + (total & width & 1);
    return ' '.repeat(left) + s + ' '.repeat(total - left);
  },
  // --- the reference's filters ---
  hash: (value, args, kwargs) => {
    const [hashType, salt] = bind('hash', args, kwargs, ['hash_type', 'salt'], 0);
    const name = hashType === MISSING ? 'md5' : pyStr(hashType);
    const algorithm = Object.hasOwn(HASH_NAMES, name) ? HASH_NAMES[name] : undefined;
    if (!algorithm || !getHashes().includes(algorithm))
      throw new PyError('AttributeError', `No hashing function named ${name}`);
    const hash = createHash(algorithm).update(pyStr(value), 'utf8');
    if (salt !== MISSING && truthy(salt)) hash.update(pyStr(salt), 'utf8');
    return hash.digest('hex');
  },
  base64encode: (value) => {
    requireEncodable(value);
    return Buffer.from(value, 'utf8').toString('base64');
  },
  base64decode: (value) => {
    requireEncodable(value);
    const cleaned = value.replace(/[^A-Za-z0-9+/=]/g, '');
    const body = cleaned.replace(/=+$/, '');
    if (body.length % 4 === 1 || cleaned.length % 4 !== 0)
      throw new PyError('ValueError', 'Incorrect padding');
    const bytes = Buffer.from(cleaned, 'base64');
    const text = new TextDecoder('utf-8', { fatal: true });
    try {
      return text.decode(bytes);
    } catch {
      throw new PyError('ValueError', "'utf-8' codec can't decode the decoded bytes");
    }
  },
  base64binascii_decode: (value) => {
    requireEncodable(value);
    if ([...value].some((ch) => (ch.codePointAt(0) ?? 0) > 0x7f))
      throw new PyError('ValueError', "'ascii' codec can't encode the value");
    return Buffer.from(value, 'ascii').toString('base64');
  },
  string: (value) => (typeof value === 'string' ? value : `"""${jsonDumps(value)}"""`),
  regex_search: (value, args, kwargs) => {
    const [regex] = bind('regex_search', args, kwargs, ['regex'], 1);
    if (typeof value !== 'string') throw typeError('expected string or bytes-like object');
    const match = pythonRegex(pyStr(regex)).exec(value);
    if (match && match.length > 1) return match[1] ?? null;
    return '';
  },
  regex_replace: (value, args, kwargs) => {
    const [regex, replacement] = bind('regex_replace', args, kwargs, ['regex', 'replacement'], 2);
    if (typeof value !== 'string') throw typeError('expected string or bytes-like object');
    return value.replace(pythonRegex(pyStr(regex), true), pythonReplacement(pyStr(replacement)));
  },
  hmac: (value, args, kwargs) => {
    const [key, hashType] = bind('hmac', args, kwargs, ['key', 'hash_type'], 1);
    const name = hashType === MISSING ? 'sha256' : pyStr(hashType);
    if (name !== 'sha256')
      throw new PyError('ValueError', `Hash type '${name}' is not allowed. Allowed types: sha256`);
    return createHmac('sha256', Buffer.from(pyStr(key), 'utf8'))
      .update(pyStr(value), 'utf8')
      .digest('hex');
  },
};
FILTERS.d = FILTERS.default as FilterImpl;

function requireEncodable(value: unknown): asserts value is string {
  if (value instanceof PyUndefined) value.fail();
  if (typeof value !== 'string')
    throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'encode'`);
}

/** Python's round(): halfway cases go to the even neighbour. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff === 0.5) return floor % 2 === 0 ? floor : floor + 1;
  return Math.round(x);
}

function htmlEscape(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&#34;')
    .replaceAll("'", '&#39;');
}

function typeErrorOf(filter: string, value: unknown): never {
  throw typeError(`the ${filter} filter cannot take a ${typeName(value)}`);
}

function extreme(value: unknown, args: unknown[], kwargs: Kwargs, state: RenderState, sign: 1 | -1): unknown {
  const [caseSensitive, attribute] = bind(
    sign > 0 ? 'max' : 'min',
    args,
    kwargs,
    ['case_sensitive', 'attribute'],
    0,
  );
  const get =
    attribute === MISSING || attribute === null ? (x: unknown) => x : attributeGetter(attribute, state);
  const cs = caseSensitive !== MISSING && truthy(caseSensitive);
  const items = seq(value, state);
  if (!items.length) return new PyUndefined(`No aggregated item, sequence was empty.`);
  let best = items[0];
  for (const item of items.slice(1)) {
    if (pyCompare(caseKey(get(item), cs), caseKey(get(best), cs)) * sign > 0) best = item;
  }
  return best;
}

function cmp(op: string): TestImpl {
  return (value, args) => {
    const other = args[0];
    switch (op) {
      case '==':
        return pyEquals(value, other);
      case '!=':
        return !pyEquals(value, other);
      case '<':
        return pyCompare(value, other, op) < 0;
      case '<=':
        return pyCompare(value, other, op) <= 0;
      case '>':
        return pyCompare(value, other, op) > 0;
      default:
        return pyCompare(value, other, op) >= 0;
    }
  };
}

export const TESTS: Record<string, TestImpl> = {
  defined: (value) => !(value instanceof PyUndefined),
  undefined: (value) => value instanceof PyUndefined,
  none: (value) => value === null || value === undefined,
  true: (value) => value === true,
  false: (value) => value === false,
  boolean: (value) => typeof value === 'boolean',
  integer: (value) => isInt(value),
  float: (value) => isFloat(value),
  number: (value) => isNumber(value),
  string: (value) => typeof value === 'string',
  mapping: (value) => isDict(value),
  sequence: (value) => typeof value === 'string' || Array.isArray(value) || isDict(value),
  iterable: (value) =>
    typeof value === 'string' || Array.isArray(value) || isDict(value) || value instanceof PyUndefined,
  callable: (value) => value instanceof PyCallable,
  sameas: (value, args) => value === args[0] || (value === null && args[0] === null),
  divisibleby: (value, args) => num(value) % num(args[0]) === 0,
  even: (value) => num(value) % 2 === 0,
  odd: (value) => Math.abs(num(value) % 2) === 1,
  lower: (value) => pyStr(value) === pyStr(value).toLowerCase(),
  upper: (value) => pyStr(value) === pyStr(value).toUpperCase(),
  in: (value, args) => pyContains(args[0], value),
  escaped: () => false,
  filter: (value) => typeof value === 'string' && Object.hasOwn(FILTERS, value),
  test: (value) => typeof value === 'string' && Object.hasOwn(TESTS, value),
  eq: cmp('=='),
  equalto: cmp('=='),
  '==': cmp('=='),
  ne: cmp('!='),
  '!=': cmp('!='),
  lt: cmp('<'),
  lessthan: cmp('<'),
  '<': cmp('<'),
  le: cmp('<='),
  '<=': cmp('<='),
  gt: cmp('>'),
  greaterthan: cmp('>'),
  '>': cmp('>'),
  ge: cmp('>='),
  '>=': cmp('>='),
};
