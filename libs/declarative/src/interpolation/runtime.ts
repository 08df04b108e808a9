// What every operation of a running template shares: the per-render budget, argument binding
// for calls, the sandboxed attribute and item lookup (Jinja's: `a.b` tries the attribute, then
// the item; `a['b']` the item, then the attribute; names starting with `_` are refused), and
// Python's arithmetic operators on the value model of values.ts.

import { addToDate, PyDate, PyDateTime, PyDuration, PyTimedelta } from './python-datetime.js';
import { percentFormat } from './python-strings.js';
import {
  dictGet,
  isDict,
  isFloat,
  isInt,
  isNumber,
  isTuple,
  MISSING,
  makeFloat,
  makeTuple,
  num,
  PyCallable,
  PyError,
  PyFloat,
  PyNamespace,
  PyUndefined,
  TemplateMapping,
  typeError,
  typeName,
} from './values.js';

/** Work allowed per render: loop iterations, calls and filters each cost one step. */
export const MAX_STEPS = 1_000_000;
/** Longest string or list a template may build. */
export const MAX_SIZE = 10_000_000;

export class RenderState {
  steps = 0;
  charge(n = 1): void {
    this.steps += n;
    if (this.steps > MAX_STEPS) {
      throw new PyError(
        'BudgetError',
        `the template did more than ${MAX_STEPS} steps (loop iterations, calls, filters) in one render`,
      );
    }
  }
}

export function checkSize(size: number): void {
  if (size > MAX_SIZE)
    throw new PyError(
      'BudgetError',
      `the template built a value of ${size} characters or items; the limit is ${MAX_SIZE}`,
    );
}

export type Kwargs = Map<string, unknown> | undefined;

/**
 * Binds call arguments to parameter names like Python; absent optional ones are MISSING.
 * `required` is how many leading parameters must be given.
 */
export function bind(
  fname: string,
  args: unknown[],
  kwargs: Kwargs,
  params: string[],
  required: number,
): unknown[] {
  if (args.length > params.length) {
    throw typeError(
      `${fname}() takes at most ${params.length} argument${params.length === 1 ? '' : 's'} (${args.length} given)`,
    );
  }
  const out: unknown[] = params.map((_, i) => (i < args.length ? args[i] : MISSING));
  if (kwargs) {
    for (const [key, value] of kwargs) {
      const i = params.indexOf(key);
      if (i < 0) throw typeError(`${fname}() got an unexpected keyword argument '${key}'`);
      if (out[i] !== MISSING) throw typeError(`${fname}() got multiple values for argument '${key}'`);
      out[i] = value;
    }
  }
  for (let i = 0; i < required; i++) {
    if (out[i] === MISSING) throw typeError(`${fname}() missing required argument: '${params[i]}'`);
  }
  return out;
}

export function orDefault<T>(value: unknown, fallback: T): unknown {
  return value === MISSING ? fallback : value;
}

// --- attribute and item lookup ---

/** Methods per type, filled in by methods.ts (kept apart so lookup stays small). */
export type MethodImpl = (self: never, args: unknown[], kwargs: Kwargs, state: RenderState) => unknown;

export interface MethodTables {
  lookup(obj: unknown, name: string): MethodImpl | undefined;
  property(obj: unknown, name: string): unknown;
}

let tables: MethodTables = {
  lookup: () => undefined,
  property: () => MISSING,
};

export function installMethodTables(next: MethodTables): void {
  tables = next;
}

function unsafe(obj: unknown, name: string): PyUndefined {
  return new PyUndefined(
    `access to attribute '${name}' of '${typeName(obj)}' object is unsafe`,
    'SecurityError',
  );
}

function missingAttribute(obj: unknown, name: string): PyUndefined {
  return new PyUndefined(`'${typeName(obj)} object' has no attribute '${name}'`);
}

function bound(obj: unknown, name: string, impl: MethodImpl, state: RenderState): PyCallable {
  return new PyCallable(name, (args, kwargs) => impl(obj as never, args, kwargs, state), typeName(obj));
}

/**
 * A name starting with `_`: Jinja's sandbox refuses it only when the Python object has such an
 * attribute (every object has dunders such as `__class__`); otherwise it falls back to the item, so
 * `response._embedded` reads a HAL response's `_embedded` key.
 */
function underscoreAttr(obj: unknown, name: string): unknown {
  if (name.startsWith('__')) return unsafe(obj, name);
  if (isDict(obj)) {
    const value = dictGet(obj, name);
    return value === MISSING ? missingAttribute(obj, name) : value;
  }
  return missingAttribute(obj, name);
}

/** `obj.name` as Jinja's sandbox resolves it. */
export function getAttr(obj: unknown, name: string, state: RenderState): unknown {
  if (obj instanceof PyUndefined) obj.fail();
  if (name.startsWith('_')) return underscoreAttr(obj, name);
  if (obj instanceof TemplateMapping && Object.hasOwn(obj.attributes, name)) return obj.attributes[name];
  const impl = tables.lookup(obj, name);
  if (impl) return bound(obj, name, impl, state);
  if (isDict(obj)) {
    const value = dictGet(obj, name);
    return value === MISSING ? missingAttribute(obj, name) : value;
  }
  if (obj instanceof PyNamespace) {
    return obj.attributes.has(name) ? obj.attributes.get(name) : missingAttribute(obj, name);
  }
  const prop = tables.property(obj, name);
  return prop === MISSING ? missingAttribute(obj, name) : prop;
}

/** `obj.name(args)`, without allocating a bound method for the common case. */
export function callAttr(
  obj: unknown,
  name: string,
  args: unknown[],
  kwargs: Kwargs,
  state: RenderState,
): unknown {
  if (obj instanceof PyUndefined) obj.fail();
  state.charge();
  if (!name.startsWith('_') && !(obj instanceof TemplateMapping && Object.hasOwn(obj.attributes, name))) {
    const impl = tables.lookup(obj, name);
    if (impl) return impl(obj as never, args, kwargs, state);
  }
  return callValue(getAttr(obj, name, state), args, kwargs);
}

export function callValue(fn: unknown, args: unknown[], kwargs: Kwargs): unknown {
  if (fn instanceof PyCallable) return fn.call(args, kwargs);
  if (fn instanceof PyUndefined) fn.fail();
  throw typeError(`'${typeName(fn)}' object is not callable`);
}

function normalizeIndex(index: number, length: number): number {
  return index < 0 ? index + length : index;
}

/** Python slice semantics for lists, tuples and strings. */
export function sliceOf(obj: unknown, start: unknown, stop: unknown, step: unknown): unknown {
  const seq = typeof obj === 'string' ? [...obj] : Array.isArray(obj) ? obj : undefined;
  if (!seq) throw typeError(`'${typeName(obj)}' object is not subscriptable`);
  const len = seq.length;
  const st = step === null || step === undefined ? 1 : num(step);
  if (st === 0) throw new PyError('ValueError', 'slice step cannot be zero');
  const clamp = (v: unknown, dflt: number, lo: number, hi: number): number => {
    if (v === null || v === undefined) return dflt;
    let i = Math.trunc(num(v));
    if (i < 0) i += len;
    return Math.min(Math.max(i, lo), hi);
  };
  const out: unknown[] = [];
  if (st > 0) {
    const a = clamp(start, 0, 0, len);
    const b = clamp(stop, len, 0, len);
    for (let i = a; i < b; i += st) out.push(seq[i]);
  } else {
    const a = clamp(start, len - 1, -1, len - 1);
    const b = clamp(stop, -1, -1, len - 1);
    for (let i = a; i > b; i += st) out.push(seq[i]);
  }
  if (typeof obj === 'string') return out.join('');
  return isTuple(obj) ? makeTuple(out) : out;
}

/** `obj[key]` as Jinja resolves it; a missing item is Undefined. */
export function getItem(obj: unknown, key: unknown, state: RenderState): unknown {
  if (obj instanceof PyUndefined) obj.fail();
  if (isDict(obj)) {
    const value = dictGet(obj, key);
    if (value !== MISSING) return value;
  } else if ((Array.isArray(obj) || typeof obj === 'string') && (isInt(key) || typeof key === 'boolean')) {
    const seq = typeof obj === 'string' ? obj : obj;
    const i = normalizeIndex(num(key), seq.length);
    if (i >= 0 && i < seq.length) {
      if (typeof seq === 'string') {
        // index by code point, like Python
        const chars = [...seq];
        const j = normalizeIndex(num(key), chars.length);
        return j >= 0 && j < chars.length ? chars[j] : new PyUndefined(`string index out of range`);
      }
      return seq[i];
    }
    return new PyUndefined(`${typeName(obj)} index out of range`);
  }
  if (typeof key === 'string') {
    return getAttr(obj, key, state);
  }
  return new PyUndefined(`${typeName(obj)} object has no element ${String(key)}`);
}

// --- arithmetic ---

function failUndefined(a: unknown, b: unknown): void {
  if (a instanceof PyUndefined) a.fail();
  if (b instanceof PyUndefined) b.fail();
}

function unsupported(op: string, a: unknown, b: unknown): never {
  failUndefined(a, b);
  throw typeError(`unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function numeric(a: unknown, b: unknown, op: (x: number, y: number) => number): unknown {
  const result = op(num(a), num(b));
  return isFloat(a) || isFloat(b) ? makeFloat(result) : result;
}

function repeat(seq: unknown, times: unknown): unknown {
  const n = Math.max(0, Math.trunc(num(times)));
  if (typeof seq === 'string') {
    checkSize(seq.length * n);
    return seq.repeat(n);
  }
  const list = seq as unknown[];
  checkSize(list.length * n);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push(...list);
  return isTuple(list) ? makeTuple(out) : out;
}

function isSeq(v: unknown): boolean {
  return typeof v === 'string' || Array.isArray(v);
}

function isIntLike(v: unknown): boolean {
  return isInt(v) || typeof v === 'boolean';
}

function pyMod(x: number, y: number): number {
  const r = x % y;
  return r !== 0 && r < 0 !== y < 0 ? r + y : r;
}

export function binaryOp(op: string, a: unknown, b: unknown): unknown {
  const numbers = isNumber(a) && isNumber(b);
  switch (op) {
    case '+':
      if (numbers) return numeric(a, b, (x, y) => x + y);
      if (typeof a === 'string' && typeof b === 'string') {
        checkSize(a.length + b.length);
        return a + b;
      }
      if (Array.isArray(a) && Array.isArray(b) && isTuple(a) === isTuple(b)) {
        checkSize(a.length + b.length);
        return isTuple(a) ? makeTuple([...a, ...b]) : [...a, ...b];
      }
      if (a instanceof PyDate && (b instanceof PyTimedelta || b instanceof PyDuration))
        return addToDate(a, b, 1);
      if (b instanceof PyDate && (a instanceof PyTimedelta || a instanceof PyDuration))
        return addToDate(b, a, 1);
      if (a instanceof PyTimedelta && b instanceof PyTimedelta)
        return new PyTimedelta(a.totalMicros + b.totalMicros);
      return unsupported('+', a, b);
    case '-':
      if (numbers) return numeric(a, b, (x, y) => x - y);
      if (a instanceof PyDate && (b instanceof PyTimedelta || b instanceof PyDuration))
        return addToDate(a, b, -1);
      if (a instanceof PyDateTime && b instanceof PyDateTime) {
        if (a.isAware !== b.isAware)
          throw typeError("can't subtract offset-naive and offset-aware datetimes");
        return new PyTimedelta(a.epochMicros - b.epochMicros);
      }
      if (
        a instanceof PyDate &&
        b instanceof PyDate &&
        !(a instanceof PyDateTime) &&
        !(b instanceof PyDateTime)
      ) {
        return PyTimedelta.of({ days: a.epochDays - b.epochDays });
      }
      if (a instanceof PyTimedelta && b instanceof PyTimedelta)
        return new PyTimedelta(a.totalMicros - b.totalMicros);
      return unsupported('-', a, b);
    case '*':
      if (numbers) return numeric(a, b, (x, y) => x * y);
      if (isSeq(a) && isIntLike(b)) return repeat(a, b);
      if (isSeq(b) && isIntLike(a)) return repeat(b, a);
      if (a instanceof PyTimedelta && isNumber(b)) return new PyTimedelta(a.totalMicros * num(b));
      if (b instanceof PyTimedelta && isNumber(a)) return new PyTimedelta(b.totalMicros * num(a));
      return unsupported('*', a, b);
    case '/':
      if (numbers) {
        if (num(b) === 0) throw new PyError('ZeroDivisionError', 'division by zero');
        return makeFloat(num(a) / num(b));
      }
      if (a instanceof PyTimedelta && isNumber(b)) return new PyTimedelta(a.totalMicros / num(b));
      if (a instanceof PyTimedelta && b instanceof PyTimedelta)
        return makeFloat(a.totalMicros / b.totalMicros);
      return unsupported('/', a, b);
    case '//':
      if (numbers) {
        if (num(b) === 0) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
        return numeric(a, b, (x, y) => Math.floor(x / y));
      }
      return unsupported('//', a, b);
    case '%':
      if (typeof a === 'string') return percentFormat(a, b);
      if (numbers) {
        if (num(b) === 0) throw new PyError('ZeroDivisionError', 'integer division or modulo by zero');
        return numeric(a, b, pyMod);
      }
      return unsupported('%', a, b);
    case '**': {
      if (!numbers) return unsupported('** or pow()', a, b);
      const x = num(a);
      const y = num(b);
      const result = x ** y;
      if (!Number.isFinite(result)) throw new PyError('BudgetError', 'the power is too large to compute');
      if (isFloat(a) || isFloat(b) || y < 0) return makeFloat(result);
      return result;
    }
    default:
      throw typeError(`unknown operator ${op}`);
  }
}

export function unaryMinus(value: unknown): unknown {
  if (value instanceof PyUndefined) value.fail();
  if (typeof value === 'number') return -value;
  if (typeof value === 'boolean') return value ? -1 : 0;
  if (value instanceof PyFloat) return new PyFloat(-value.value);
  if (value instanceof PyTimedelta) return new PyTimedelta(-value.totalMicros);
  throw typeError(`bad operand type for unary -: '${typeName(value)}'`);
}

export function unaryPlus(value: unknown): unknown {
  if (value instanceof PyUndefined) value.fail();
  if (isNumber(value)) return typeof value === 'boolean' ? (value ? 1 : 0) : value;
  if (value instanceof PyTimedelta) return value;
  throw typeError(`bad operand type for unary +: '${typeName(value)}'`);
}
