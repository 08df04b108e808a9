// Turns a parsed template into a tree of JavaScript closures once, so rendering is a walk of
// precompiled functions with no parsing or name resolution left. Holds Jinja's scoping (a for
// loop body has its own variables; `if` does not), the `loop` object, the names the template
// needs from its context, and the conversion of values to output text.

import { TemplateSyntaxError } from './errors.js';
import { FILTERS, type FilterImpl, TESTS, type TestImpl } from './filters.js';
import { MACROS } from './macros.js';
import { installMethods } from './methods.js';
import type { AssignTarget, Expr, Stmt } from './parser.js';
import {
  binaryOp,
  callAttr,
  callValue,
  checkSize,
  getAttr,
  getItem,
  type Kwargs,
  RenderState,
  sliceOf,
  unaryMinus,
  unaryPlus,
} from './runtime.js';
import {
  iterate,
  makeFloat,
  makeTuple,
  PyError,
  PyNamespace,
  PyUndefined,
  pyCompare,
  pyContains,
  pyEquals,
  pyStr,
  truthy,
} from './values.js';

installMethods();

interface Frame {
  vars: Map<string, unknown> | null;
  parent: Frame | null;
  ctx: Record<string, unknown>;
  state: RenderState;
}

type Eval = (f: Frame) => unknown;
type Exec = (f: Frame, out: string[]) => void;

/** Names the reference makes stand for `stream_slice`. */
const ALIASES: Record<string, string> = { stream_interval: 'stream_slice', stream_partition: 'stream_slice' };

function lookupName(f: Frame, name: string): unknown {
  for (let fr: Frame | null = f; fr; fr = fr.parent) {
    if (fr.vars?.has(name)) return fr.vars.get(name);
  }
  return lookupGlobal(f.ctx, name);
}

function lookupGlobal(ctx: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(ctx, name)) return ctx[name] ?? null;
  const alias = ALIASES[name];
  if (alias && Object.hasOwn(ctx, alias)) return ctx[alias] ?? null;
  if (Object.hasOwn(MACROS, name)) return MACROS[name];
  return new PyUndefined(`'${name}' is undefined`);
}

export interface CompiledProgram {
  run(ctx: Record<string, unknown>): string;
  /** names read from the context: the reference refuses to render when one is missing */
  readonly freeNames: readonly string[];
}

class Compiler {
  readonly assigned = new Set<string>();
  readonly used = new Set<string>();
  hasAssignments = false;

  constructor(private readonly source: string) {}

  private fail(what: string, pos: number): never {
    throw new TemplateSyntaxError(what, this.source, pos);
  }

  body(stmts: Stmt[]): Exec {
    const parts = stmts.map((s) => this.stmt(s));
    if (parts.length === 1) return parts[0] as Exec;
    return (f, out) => {
      for (const part of parts) part(f, out);
    };
  }

  private stmt(s: Stmt): Exec {
    switch (s.type) {
      case 'text': {
        const text = s.text;
        return (_f, out) => {
          out.push(text);
        };
      }
      case 'output': {
        const e = this.expr(s.expr);
        return (f, out) => {
          out.push(pyStr(e(f)));
        };
      }
      case 'if': {
        const branches = s.branches.map((b) => ({ test: this.expr(b.test), body: this.body(b.body) }));
        const otherwise = this.body(s.otherwise);
        return (f, out) => {
          for (const b of branches) {
            if (truthy(b.test(f))) {
              b.body(f, out);
              return;
            }
          }
          otherwise(f, out);
        };
      }
      case 'set': {
        this.hasAssignments = true;
        const value = this.expr(s.value);
        const assign = this.assigner(s.target);
        return (f) => assign(f, value(f));
      }
      case 'setblock': {
        this.hasAssignments = true;
        const body = this.body(s.body);
        const assign = this.assigner(s.target);
        return (f) => {
          const parts: string[] = [];
          body(f, parts);
          assign(f, parts.join(''));
        };
      }
      case 'for':
        return this.forLoop(s);
      default:
        return () => undefined;
    }
  }

  private assigner(target: AssignTarget): (f: Frame, value: unknown) => void {
    if (target.type === 'name') {
      this.assigned.add(target.name);
      const name = target.name;
      return (f, value) => {
        (f.vars as Map<string, unknown>).set(name, value);
      };
    }
    if (target.type === 'tuple') {
      for (const n of target.names) this.assigned.add(n);
      const names = target.names;
      return (f, value) => {
        const items = iterate(value);
        if (items.length !== names.length) {
          throw new PyError('ValueError', `cannot unpack ${items.length} values into ${names.length} names`);
        }
        const vars = f.vars as Map<string, unknown>;
        for (let i = 0; i < names.length; i++) vars.set(names[i] as string, items[i]);
      };
    }
    const { name, attr } = target;
    this.used.add(name);
    return (f, value) => {
      const ns = lookupName(f, name);
      if (!(ns instanceof PyNamespace))
        throw new PyError('TypeError', `cannot assign attribute on non-namespace object '${name}'`);
      ns.attributes.set(attr, value);
    };
  }

  private forLoop(s: Extract<Stmt, { type: 'for' }>): Exec {
    this.hasAssignments = true;
    const iter = this.expr(s.iter);
    const assign = this.assigner(s.target);
    const filter = s.filter ? this.expr(s.filter) : null;
    const body = this.body(s.body);
    const otherwise = this.body(s.otherwise);
    return (f, out) => {
      const source = iter(f);
      if (source instanceof PyUndefined && source.kind !== 'UndefinedError') source.fail();
      let items = iterate(source);
      f.state.charge(items.length);
      if (filter) {
        items = items.filter((item) => {
          const inner: Frame = { vars: new Map(), parent: f, ctx: f.ctx, state: f.state };
          assign(inner, item);
          return truthy(filter(inner));
        });
      }
      if (items.length === 0) {
        otherwise(f, out);
        return;
      }
      const length = items.length;
      for (let i = 0; i < length; i++) {
        f.state.charge();
        const vars = new Map<string, unknown>();
        const loop = new Map<unknown, unknown>([
          ['index', i + 1],
          ['index0', i],
          ['revindex', length - i],
          ['revindex0', length - i - 1],
          ['first', i === 0],
          ['last', i === length - 1],
          ['length', length],
          ['previtem', i > 0 ? items[i - 1] : new PyUndefined('there is no previous item')],
          ['nextitem', i < length - 1 ? items[i + 1] : new PyUndefined('there is no next item')],
          ['depth', 1],
          ['depth0', 0],
        ]);
        vars.set('loop', loop);
        const inner: Frame = { vars, parent: f, ctx: f.ctx, state: f.state };
        assign(inner, items[i]);
        body(inner, out);
      }
    };
  }

  private args(args: Expr[], kwargs: [string, Expr][]): { args: Eval[]; kwargs: [string, Eval][] } {
    return { args: args.map((a) => this.expr(a)), kwargs: kwargs.map(([k, v]) => [k, this.expr(v)]) };
  }

  expr(e: Expr): Eval {
    switch (e.type) {
      case 'const': {
        const value =
          typeof e.value === 'object' && e.value !== null && 'float' in e.value
            ? makeFloat((e.value as { float: number }).float)
            : e.value;
        return () => value;
      }
      case 'name': {
        const name = e.name;
        this.used.add(name);
        return (f) => lookupName(f, name);
      }
      case 'list': {
        const items = e.items.map((i) => this.expr(i));
        return (f) => items.map((i) => i(f));
      }
      case 'tuple': {
        const items = e.items.map((i) => this.expr(i));
        return (f) => makeTuple(items.map((i) => i(f)));
      }
      case 'dict': {
        const pairs = e.pairs.map(([k, v]) => [this.expr(k), this.expr(v)] as const);
        return (f) => {
          const map = new Map<unknown, unknown>();
          for (const [k, v] of pairs) map.set(k(f), v(f));
          return map;
        };
      }
      case 'getattr': {
        const obj = this.expr(e.obj);
        const attr = e.attr;
        return (f) => getAttr(obj(f), attr, f.state);
      }
      case 'getitem': {
        const obj = this.expr(e.obj);
        if (e.index.type === 'slice') {
          const { start, stop, step } = e.index;
          const a = start ? this.expr(start) : null;
          const b = stop ? this.expr(stop) : null;
          const c = step ? this.expr(step) : null;
          return (f) => {
            const target = obj(f);
            if (target instanceof PyUndefined) target.fail();
            return sliceOf(target, a ? a(f) : null, b ? b(f) : null, c ? c(f) : null);
          };
        }
        const index = this.expr(e.index);
        return (f) => getItem(obj(f), index(f), f.state);
      }
      case 'slice':
        return this.fail('a slice is only allowed inside [ ]', 0);
      case 'call':
        return this.call(e);
      case 'filter':
        return this.filter(e);
      case 'test':
        return this.test(e);
      case 'unary': {
        const operand = this.expr(e.operand);
        if (e.op === 'not') return (f) => !truthy(operand(f));
        if (e.op === '-') return (f) => unaryMinus(operand(f));
        return (f) => unaryPlus(operand(f));
      }
      case 'binary': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        const op = e.op;
        return (f) => binaryOp(op, left(f), right(f));
      }
      case 'concat': {
        const parts = e.parts.map((p) => this.expr(p));
        return (f) => {
          let text = '';
          for (const p of parts) text += pyStr(p(f));
          checkSize(text.length);
          return text;
        };
      }
      case 'compare': {
        const first = this.expr(e.first);
        const ops = e.ops.map(({ op, expr }) => ({ op, value: this.expr(expr) }));
        return (f) => {
          let left = first(f);
          for (const { op, value } of ops) {
            const right = value(f);
            if (!compare(op, left, right)) return false;
            left = right;
          }
          return true;
        };
      }
      case 'and': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        return (f) => {
          const l = left(f);
          return truthy(l) ? right(f) : l;
        };
      }
      case 'or': {
        const left = this.expr(e.left);
        const right = this.expr(e.right);
        return (f) => {
          const l = left(f);
          return truthy(l) ? l : right(f);
        };
      }
      case 'cond': {
        const test = this.expr(e.test);
        const then = this.expr(e.value);
        const otherwise = e.otherwise ? this.expr(e.otherwise) : null;
        return (f) =>
          truthy(test(f))
            ? then(f)
            : otherwise
              ? otherwise(f)
              : new PyUndefined(
                  'the inline if expression evaluated to false and no else section was defined',
                );
      }
      default:
        return this.fail('unsupported expression', 0);
    }
  }

  private call(e: Extract<Expr, { type: 'call' }>): Eval {
    const { args, kwargs } = this.args(e.args, e.kwargs);
    const evalArgs = (f: Frame): unknown[] => args.map((a) => a(f));
    const evalKwargs = kwargs.length
      ? (f: Frame): Kwargs => new Map(kwargs.map(([k, v]) => [k, v(f)]))
      : (): Kwargs => undefined;
    if (e.fn.type === 'getattr') {
      const obj = this.expr(e.fn.obj);
      const attr = e.fn.attr;
      return (f) => callAttr(obj(f), attr, evalArgs(f), evalKwargs(f), f.state);
    }
    const fn = this.expr(e.fn);
    return (f) => {
      f.state.charge();
      return callValue(fn(f), evalArgs(f), evalKwargs(f));
    };
  }

  private filter(e: Extract<Expr, { type: 'filter' }>): Eval {
    const impl: FilterImpl | undefined = Object.hasOwn(FILTERS, e.name) ? FILTERS[e.name] : undefined;
    if (!impl) this.fail(`no filter named '${e.name}'`, e.pos);
    const node = this.expr(e.node);
    const { args, kwargs } = this.args(e.args, e.kwargs);
    return (f) => {
      f.state.charge();
      const value = node(f);
      return impl(
        value,
        args.map((a) => a(f)),
        kwargs.length ? new Map(kwargs.map(([k, v]) => [k, v(f)])) : undefined,
        f.state,
      );
    };
  }

  private test(e: Extract<Expr, { type: 'test' }>): Eval {
    const impl: TestImpl | undefined = Object.hasOwn(TESTS, e.name) ? TESTS[e.name] : undefined;
    if (!impl) this.fail(`no test named '${e.name}'`, e.pos);
    const node = this.expr(e.node);
    const args = e.args.map((a) => this.expr(a));
    const negated = e.negated;
    return (f) => {
      const result = impl(
        node(f),
        args.map((a) => a(f)),
        f.state,
      );
      return negated ? !result : result;
    };
  }
}

function compare(op: string, left: unknown, right: unknown): boolean {
  switch (op) {
    case '==':
      return pyEquals(left, right);
    case '!=':
      return !pyEquals(left, right);
    case 'in':
      return pyContains(right, left);
    case 'notin':
      return !pyContains(right, left);
    default: {
      if (left instanceof PyUndefined) left.fail();
      if (right instanceof PyUndefined) right.fail();
      const c = pyCompare(left, right, op);
      if (op === '<') return c < 0;
      if (op === '<=') return c <= 0;
      if (op === '>') return c > 0;
      return c >= 0;
    }
  }
}

export function compileProgram(stmts: Stmt[], source: string): CompiledProgram {
  const compiler = new Compiler(source);
  const body = compiler.body(stmts);
  const freeNames = [...compiler.used].filter(
    (n) => !compiler.assigned.has(n) && n !== 'loop' && !Object.hasOwn(MACROS, n),
  );
  const withVars = compiler.hasAssignments;
  return {
    freeNames,
    run(ctx) {
      const out: string[] = [];
      const frame: Frame = { vars: withVars ? new Map() : null, parent: null, ctx, state: new RenderState() };
      body(frame, out);
      if (out.length === 1) return out[0] as string;
      const text = out.join('');
      checkSize(text.length);
      return text;
    },
  };
}
