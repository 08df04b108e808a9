// How Python values live in JavaScript while a template runs, and Python's rules for them:
// truthiness, str() and repr(), ==, ordering, iteration. The mapping:
//   None → null, bool → boolean, str → string, list → array, tuple → array marked as a tuple,
//   dict → a plain object (from the context) or a Map (made by the template, keeps any key),
//   int → an integral number, float → a non-integral number or a PyFloat (a float such as 2.0),
//   datetime/date/timedelta/Duration → the classes of python-datetime.ts,
//   Jinja's Undefined → PyUndefined. Nothing else is reachable from a template.

import { PyDate, PyDateTime, PyDuration, PyTimedelta, pyFloatRepr } from './python-datetime.js';

/** Python exception kinds the reference's eval treats differently (TypeError, UndefinedError). */
export type PyErrorKind =
  | 'TypeError'
  | 'ValueError'
  | 'UndefinedError'
  | 'SecurityError'
  | 'ZeroDivisionError'
  | 'IndexError'
  | 'KeyError'
  | 'AttributeError'
  | 'BudgetError';

/** An exception raised inside a template, carrying the Python exception kind it stands for. */
export class PyError extends Error {
  override readonly name = 'PyError';
  constructor(
    readonly kind: PyErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export function typeError(message: string): PyError {
  return new PyError('TypeError', message);
}

export function valueError(message: string): PyError {
  return new PyError('ValueError', message);
}

/** A float whose value is integral (2.0): keeps Python's float-ness where a JS number cannot. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Jinja's default Undefined: prints as '', is falsy, iterates as empty, fails on any other use. */
export class PyUndefined {
  constructor(
    readonly hint: string,
    readonly kind: PyErrorKind = 'UndefinedError',
  ) {}
  fail(): never {
    throw new PyError(this.kind, this.hint);
  }
}

/** Jinja's namespace(): the one object whose attributes `{% set ns.x = ... %}` may assign. */
export class PyNamespace {
  constructor(readonly attributes: Map<string, unknown>) {}
}

/** A function a template may call: a macro, a global or a bound method. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: unknown[], kwargs: Map<string, unknown> | undefined) => unknown,
    readonly owner?: string,
  ) {}
}

/**
 * A mapping that also has attributes, like the reference's StreamSlice: `stream_slice['x']` and
 * `stream_slice.get('x')` read the mapping, `stream_slice.partition` / `.cursor_slice` /
 * `.extra_fields` read the attributes.
 */
export class TemplateMapping {
  constructor(
    readonly mapping: Record<string, unknown>,
    readonly attributes: Record<string, unknown> = {},
  ) {}
}

const tuples = new WeakSet<readonly unknown[]>();

export function makeTuple(items: unknown[]): unknown[] {
  tuples.add(items);
  return items;
}

export function isTuple(value: unknown): value is unknown[] {
  return Array.isArray(value) && tuples.has(value);
}

export type PyDict = Map<unknown, unknown> | Record<string, unknown>;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isDict(value: unknown): value is PyDict | TemplateMapping {
  return value instanceof Map || isPlainObject(value) || value instanceof TemplateMapping;
}

export const MISSING: unique symbol = Symbol('missing');

function mappingOf(dict: PyDict | TemplateMapping): PyDict {
  return dict instanceof TemplateMapping ? dict.mapping : dict;
}

/** dict[key] without fallback; MISSING when absent. */
export function dictGet(dict: PyDict | TemplateMapping, key: unknown): unknown {
  const m = mappingOf(dict);
  if (m instanceof Map) {
    if (m.has(key)) return m.get(key);
    const alt = hashKey(key);
    if (alt !== key && m.has(alt)) return m.get(alt);
    return MISSING;
  }
  if (typeof key !== 'string') return MISSING;
  return Object.hasOwn(m, key) ? m[key] : MISSING;
}

/** Python hashes 1, 1.0 and True alike: a Map keyed by JS values stores them under one key. */
export function hashKey(key: unknown): unknown {
  if (key instanceof PyFloat) return key.value;
  if (key === true) return 1;
  if (key === false) return 0;
  return key;
}

export function dictSet(dict: PyDict | TemplateMapping, key: unknown, value: unknown): void {
  const m = mappingOf(dict);
  if (m instanceof Map) m.set(hashKey(key), value);
  else if (typeof key === 'string') m[key] = value;
  else throw typeError('this mapping only takes string keys');
}

export function dictEntries(dict: PyDict | TemplateMapping): [unknown, unknown][] {
  const m = mappingOf(dict);
  return m instanceof Map ? [...m.entries()] : Object.entries(m);
}

export function dictKeys(dict: PyDict | TemplateMapping): unknown[] {
  const m = mappingOf(dict);
  return m instanceof Map ? [...m.keys()] : Object.keys(m);
}

export function dictSize(dict: PyDict | TemplateMapping): number {
  const m = mappingOf(dict);
  return m instanceof Map ? m.size : Object.keys(m).length;
}

// --- numbers ---

export function isNumber(value: unknown): value is number | PyFloat | boolean {
  return typeof value === 'number' || value instanceof PyFloat || typeof value === 'boolean';
}

export function isFloat(value: unknown): boolean {
  return value instanceof PyFloat || (typeof value === 'number' && !Number.isInteger(value));
}

export function isInt(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value);
}

/** The number a numeric value holds (bools are 0/1, like Python). */
export function num(value: unknown): number {
  if (typeof value === 'number') return value;
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw typeError(`expected a number, got ${typeName(value)}`);
}

/** A float result: integral values are wrapped so they keep printing as `2.0`. */
export function makeFloat(value: number): number | PyFloat {
  return Number.isInteger(value) ? new PyFloat(value) : value;
}

// --- truthiness, str, repr ---

export function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false) return false;
  if (value === true) return true;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value)) return value.length > 0;
  if (value instanceof PyUndefined) return false;
  if (value instanceof PyTimedelta) return value.totalMicros !== 0;
  if (isDict(value)) return dictSize(value) > 0;
  if (value instanceof Set) return value.size > 0;
  return true;
}

export function typeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'string') return 'str';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float';
  if (value instanceof PyFloat) return 'float';
  if (isTuple(value)) return 'tuple';
  if (Array.isArray(value)) return 'list';
  if (value instanceof PyUndefined) return 'Undefined';
  if (value instanceof PyDateTime) return 'datetime.datetime';
  if (value instanceof PyDate) return 'datetime.date';
  if (value instanceof PyTimedelta) return 'datetime.timedelta';
  if (value instanceof PyDuration) return 'Duration';
  if (value instanceof PyNamespace) return 'Namespace';
  if (value instanceof PyCallable) return 'function';
  if (value instanceof Set) return 'set';
  if (isDict(value)) return 'dict';
  return 'object';
}

export function pyIntText(value: number): string {
  if (Math.abs(value) < 1e21) return value.toFixed(0);
  return BigInt(value).toString();
}

/** Python's str(). */
export function pyStr(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? pyIntText(value) : pyFloatRepr(value);
  if (value instanceof PyFloat) return pyFloatRepr(value.value);
  if (value instanceof PyUndefined) return '';
  if (value instanceof PyDate || value instanceof PyTimedelta || value instanceof PyDuration)
    return value.toString();
  return pyRepr(value);
}

function reprString(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

function reprOffset(dt: PyDateTime): string {
  if (dt.offsetSeconds === null) return '';
  if (dt.offsetSeconds === 0) return ', tzinfo=datetime.timezone.utc';
  return `, tzinfo=datetime.timezone(datetime.timedelta(${dt.offsetSeconds < 0 ? 'days=-1, ' : ''}seconds=${((dt.offsetSeconds % 86400) + 86400) % 86400}))`;
}

/** Python's repr(), as str() of a list or dict shows its items. */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return reprString(value);
  if (value === null || value === undefined || typeof value !== 'object') return pyStr(value);
  if (value instanceof PyFloat) return pyStr(value);
  if (isTuple(value))
    return value.length === 1 ? `(${pyRepr(value[0])},)` : `(${value.map(pyRepr).join(', ')})`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (value instanceof PyUndefined) return 'Undefined';
  if (value instanceof PyDateTime) {
    const fields = [value.year, value.month, value.day, value.hour, value.minute];
    if (value.second || value.microsecond) fields.push(value.second);
    if (value.microsecond) fields.push(value.microsecond);
    return `datetime.datetime(${fields.join(', ')}${reprOffset(value)})`;
  }
  if (value instanceof PyDate) return `datetime.date(${value.year}, ${value.month}, ${value.day})`;
  if (value instanceof PyTimedelta) {
    const parts: string[] = [];
    if (value.days) parts.push(`days=${value.days}`);
    if (value.seconds) parts.push(`seconds=${value.seconds}`);
    if (value.microseconds) parts.push(`microseconds=${value.microseconds}`);
    return `datetime.timedelta(${parts.join(', ')})`;
  }
  if (value instanceof PyDuration)
    return `isodate.duration.Duration(${value.delta.days}, ${value.delta.seconds}, ${value.delta.microseconds}, years=${value.years}, months=${value.months})`;
  if (value instanceof PyNamespace) {
    return `<Namespace {${[...value.attributes].map(([k, v]) => `${reprString(k)}: ${pyRepr(v)}`).join(', ')}}>`;
  }
  if (value instanceof PyCallable) {
    return value.owner
      ? `<built-in method ${value.name} of ${value.owner} object>`
      : `<function ${value.name}>`;
  }
  if (value instanceof Set) return value.size === 0 ? 'set()' : `{${[...value].map(pyRepr).join(', ')}}`;
  if (isDict(value)) {
    return `{${dictEntries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return '<object>';
}

// --- equality and ordering ---

export function pyEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined) return b === null;
  if (b === undefined) return a === null;
  if (isNumber(a) && isNumber(b)) return num(a) === num(b);
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof PyUndefined || b instanceof PyUndefined)
    return a instanceof PyUndefined && b instanceof PyUndefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (isTuple(a) !== isTuple(b) || a.length !== b.length) return false;
    return a.every((item, i) => pyEquals(item, b[i]));
  }
  if (a instanceof PyDate && b instanceof PyDate) {
    if (a instanceof PyDateTime !== b instanceof PyDateTime) return false;
    if (a instanceof PyDateTime && b instanceof PyDateTime) {
      if (a.isAware !== b.isAware) return false;
      return a.epochMicros === b.epochMicros;
    }
    return a.epochDays === b.epochDays;
  }
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return a.totalMicros === b.totalMicros;
  if (isDict(a) && isDict(b)) {
    const ea = dictEntries(a);
    if (ea.length !== dictSize(b)) return false;
    return ea.every(([k, v]) => {
      const other = dictGet(b, k);
      return other !== MISSING && pyEquals(v, other);
    });
  }
  if (a instanceof Set && b instanceof Set) return a.size === b.size && [...a].every((x) => b.has(x));
  return false;
}

/** Python's ordering (<, >, max, min, sort): -1, 0, 1, or a TypeError for unorderable types. */
export function pyCompare(a: unknown, b: unknown, op = '<'): number {
  if (isNumber(a) && isNumber(b)) {
    const x = num(a);
    const y = num(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0;
    return compareCodePoints(a, b);
  }
  if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      if (!pyEquals(a[i], b[i])) return pyCompare(a[i], b[i], op);
    }
    return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
  }
  if (a instanceof PyDateTime && b instanceof PyDateTime) {
    if (a.isAware !== b.isAware) throw typeError("can't compare offset-naive and offset-aware datetimes");
    return Math.sign(a.epochMicros - b.epochMicros);
  }
  if (
    a instanceof PyDate &&
    b instanceof PyDate &&
    !(a instanceof PyDateTime) &&
    !(b instanceof PyDateTime)
  ) {
    return Math.sign(a.epochDays - b.epochDays);
  }
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return Math.sign(a.totalMicros - b.totalMicros);
  if (a instanceof PyUndefined) a.fail();
  if (b instanceof PyUndefined) b.fail();
  throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i) ?? 0;
    const y = b.codePointAt(i) ?? 0;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

// --- iteration ---

/** The items a for loop, list() or `in` sees; a TypeError for what Python cannot iterate. */
export function iterate(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return [...value];
  if (value instanceof PyUndefined) return [];
  if (isDict(value)) return dictKeys(value);
  if (value instanceof Set) return [...value];
  throw typeError(`'${typeName(value)}' object is not iterable`);
}

export function pyLen(value: unknown): number {
  if (typeof value === 'string') return [...value].length;
  if (Array.isArray(value)) return value.length;
  if (isDict(value)) return dictSize(value);
  if (value instanceof Set) return value.size;
  if (value instanceof PyUndefined) return 0;
  throw typeError(`object of type '${typeName(value)}' has no len()`);
}

/** Python's `needle in haystack`. */
export function pyContains(haystack: unknown, needle: unknown): boolean {
  if (typeof haystack === 'string') {
    if (typeof needle !== 'string')
      throw typeError(`'in <string>' requires string as left operand, not ${typeName(needle)}`);
    return haystack.includes(needle);
  }
  if (isDict(haystack)) return dictGet(haystack, needle) !== MISSING;
  if (Array.isArray(haystack)) return haystack.some((item) => pyEquals(item, needle));
  if (haystack instanceof Set) return [...haystack].some((item) => pyEquals(item, needle));
  if (haystack instanceof PyUndefined) return false;
  throw typeError(`argument of type '${typeName(haystack)}' is not iterable`);
}

/** Converts a template value to plain JSON-like JS: Maps to objects, PyFloats to numbers. */
export function toPlain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof PyUndefined) return null;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Set) return [...value].map(toPlain);
  if (value instanceof TemplateMapping) return toPlain(value.mapping);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[typeof k === 'string' ? k : pyStr(k)] = toPlain(v);
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
    return out;
  }
  return value;
}
