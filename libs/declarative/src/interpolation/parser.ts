// Parses Jinja tokens into a syntax tree, with Jinja's precedence: conditional expression, or,
// and, not, comparisons (chained, `in`, `not in`), `+ -`, `~`, `* / // %`, `**` (left to right,
// as in Jinja), unary `- +`, then postfix (`.attr`, `[item]`, calls) with filters `|f` and tests
// `is t` binding tightest. Statements: if/elif/else, for (with `if` filter and else), set
// (including block set and namespace attributes). Unknown tags are syntax errors.

import { TemplateSyntaxError } from './errors.js';
import { type Token, tokenize } from './lexer.js';

export type Expr =
  | { type: 'const'; value: unknown }
  | { type: 'name'; name: string; pos: number }
  | { type: 'list'; items: Expr[] }
  | { type: 'tuple'; items: Expr[] }
  | { type: 'dict'; pairs: [Expr, Expr][] }
  | { type: 'getattr'; obj: Expr; attr: string; pos: number }
  | { type: 'getitem'; obj: Expr; index: Expr; pos: number }
  | { type: 'slice'; start: Expr | null; stop: Expr | null; step: Expr | null }
  | { type: 'call'; fn: Expr; args: Expr[]; kwargs: [string, Expr][]; pos: number }
  | { type: 'filter'; node: Expr; name: string; args: Expr[]; kwargs: [string, Expr][]; pos: number }
  | { type: 'test'; node: Expr; name: string; args: Expr[]; negated: boolean; pos: number }
  | { type: 'unary'; op: '-' | '+' | 'not'; operand: Expr }
  | { type: 'binary'; op: string; left: Expr; right: Expr; pos: number }
  | { type: 'concat'; parts: Expr[] }
  | { type: 'compare'; first: Expr; ops: { op: string; expr: Expr }[]; pos: number }
  | { type: 'and' | 'or'; left: Expr; right: Expr }
  | { type: 'cond'; test: Expr; value: Expr; otherwise: Expr | null };

export type AssignTarget =
  | { type: 'name'; name: string }
  | { type: 'tuple'; names: string[] }
  | { type: 'nsattr'; name: string; attr: string };

export type Stmt =
  | { type: 'text'; text: string }
  | { type: 'output'; expr: Expr }
  | { type: 'if'; branches: { test: Expr; body: Stmt[] }[]; otherwise: Stmt[] }
  | {
      type: 'for';
      target: AssignTarget;
      iter: Expr;
      filter: Expr | null;
      body: Stmt[];
      otherwise: Stmt[];
      pos: number;
    }
  | { type: 'set'; target: AssignTarget; value: Expr }
  | { type: 'setblock'; target: AssignTarget; body: Stmt[] };

const COMPARE_OPS = new Set(['==', '!=', '<', '<=', '>', '>=']);
const RESERVED_CONSTANTS: Record<string, unknown> = {
  true: true,
  false: false,
  none: null,
  True: true,
  False: false,
  None: null,
};

class Parser {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly source: string,
  ) {}

  private get current(): Token {
    return this.tokens[this.index] ?? (this.tokens[this.tokens.length - 1] as Token);
  }

  private peek(offset = 1): Token | undefined {
    return this.tokens[this.index + offset];
  }

  private next(): Token {
    const token = this.current;
    if (this.index < this.tokens.length - 1) this.index++;
    return token;
  }

  private fail(what: string, token: Token = this.current): never {
    throw new TemplateSyntaxError(what, this.source, token.pos);
  }

  private describe(token: Token): string {
    switch (token.type) {
      case 'variable_end':
        return "'}}' (end of print statement)";
      case 'block_end':
        return "'%}' (end of statement block)";
      case 'eof':
        return 'end of template';
      case 'string':
        return 'a string';
      case 'integer':
      case 'float':
        return `the number ${token.value}`;
      default:
        return `'${token.value}'`;
    }
  }

  private isOp(value: string, token: Token = this.current): boolean {
    return token.type === 'operator' && token.value === value;
  }

  private isName(value: string, token: Token | undefined = this.current): boolean {
    return token?.type === 'name' && token.value === value;
  }

  private expectOp(value: string): Token {
    if (!this.isOp(value)) this.fail(`expected '${value}', got ${this.describe(this.current)}`);
    return this.next();
  }

  private expectName(value?: string): string {
    const token = this.current;
    if (token.type !== 'name' || (value !== undefined && token.value !== value)) {
      this.fail(`expected ${value ? `'${value}'` : 'a name'}, got ${this.describe(token)}`);
    }
    this.next();
    return String(token.value);
  }

  private expectType(type: Token['type'], what: string): Token {
    if (this.current.type !== type) this.fail(`expected ${what}, got ${this.describe(this.current)}`);
    return this.next();
  }

  // --- statements ---

  parseTemplate(): Stmt[] {
    const body = this.parseBody([]);
    if (this.current.type !== 'eof') this.fail(`unexpected ${this.describe(this.current)}`);
    return body;
  }

  /** Statements until a block tag named in `endTags` (left unconsumed) or the end. */
  private parseBody(endTags: string[]): Stmt[] {
    const body: Stmt[] = [];
    for (;;) {
      const token = this.current;
      if (token.type === 'eof') {
        if (endTags.length)
          this.fail(
            `unexpected end of template: expected ${endTags.map((t) => `'{% ${t} %}'`).join(' or ')}`,
          );
        return body;
      }
      if (token.type === 'text') {
        body.push({ type: 'text', text: String(token.value) });
        this.next();
      } else if (token.type === 'variable_begin') {
        this.next();
        const expr = this.parseTuple(true);
        this.expectType('variable_end', "'}}'");
        body.push({ type: 'output', expr });
      } else if (token.type === 'block_begin') {
        const tag = this.peek();
        if (tag?.type === 'name' && endTags.includes(String(tag.value))) return body;
        this.next();
        body.push(this.parseStatement());
      } else {
        this.fail(`unexpected ${this.describe(token)}`);
      }
    }
  }

  private endBlock(): void {
    // Jinja accepts a Python-like colon before '%}' on block tags (`{% for x in y: %}`)
    if (this.isOp(':')) this.next();
    this.expectType('block_end', "'%}' (end of statement block)");
  }

  private parseStatement(): Stmt {
    const tag = this.current;
    if (tag.type !== 'name') this.fail(`expected a tag name after '{%', got ${this.describe(tag)}`);
    switch (tag.value) {
      case 'if':
        return this.parseIf();
      case 'for':
        return this.parseFor();
      case 'set':
        return this.parseSet();
      default:
        return this.fail(`unknown or unsupported tag '${tag.value}' (supported: if, for, set, raw)`);
    }
  }

  private parseIf(): Stmt {
    this.next();
    const branches: { test: Expr; body: Stmt[] }[] = [];
    let test = this.parseTuple(true);
    this.endBlock();
    let otherwise: Stmt[] = [];
    for (;;) {
      const body = this.parseBody(['elif', 'else', 'endif']);
      branches.push({ test, body });
      this.next(); // block_begin
      const tag = this.expectName();
      if (tag === 'elif') {
        test = this.parseTuple(true);
        this.endBlock();
        continue;
      }
      if (tag === 'else') {
        this.endBlock();
        otherwise = this.parseBody(['endif']);
        this.next();
        this.expectName('endif');
      }
      this.endBlock();
      return { type: 'if', branches, otherwise };
    }
  }

  private parseAssignTarget(allowNamespace: boolean): AssignTarget {
    const first = this.expectName();
    if (allowNamespace && this.isOp('.')) {
      this.next();
      return { type: 'nsattr', name: first, attr: this.expectName() };
    }
    if (!this.isOp(',')) return { type: 'name', name: first };
    const names = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.current.type !== 'name' || this.isName('in')) break;
      names.push(this.expectName());
    }
    return { type: 'tuple', names };
  }

  private parseFor(): Stmt {
    const pos = this.next().pos;
    let target: AssignTarget;
    if (this.isOp('(')) {
      this.next();
      target = this.parseAssignTarget(false);
      this.expectOp(')');
    } else {
      target = this.parseAssignTarget(false);
    }
    this.expectName('in');
    const iter = this.parseTuple(false);
    let filter: Expr | null = null;
    if (this.isName('if')) {
      this.next();
      filter = this.parseExpression(true);
    }
    if (this.isName('recursive')) this.fail('recursive for loops are not supported');
    this.endBlock();
    const body = this.parseBody(['else', 'endfor']);
    this.next();
    let otherwise: Stmt[] = [];
    if (this.expectName() === 'else') {
      this.endBlock();
      otherwise = this.parseBody(['endfor']);
      this.next();
      this.expectName('endfor');
    }
    this.endBlock();
    return { type: 'for', target, iter, filter, body, otherwise, pos };
  }

  private parseSet(): Stmt {
    this.next();
    const target = this.parseAssignTarget(true);
    if (this.isOp('=')) {
      this.next();
      const value = this.parseTuple(true);
      this.endBlock();
      return { type: 'set', target, value };
    }
    this.endBlock();
    const body = this.parseBody(['endset']);
    this.next();
    this.expectName('endset');
    this.endBlock();
    return { type: 'setblock', target, body };
  }

  // --- expressions ---

  /** An expression or a tuple without parentheses (`a, b`), as in `{{ }}` and `{% set %}`. */
  parseTuple(withCondexpr: boolean): Expr {
    const first = this.parseExpression(withCondexpr);
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.next();
      if (this.atExpressionEnd()) break;
      items.push(this.parseExpression(withCondexpr));
    }
    return { type: 'tuple', items };
  }

  private atExpressionEnd(): boolean {
    const t = this.current;
    return (
      t.type === 'variable_end' ||
      t.type === 'block_end' ||
      t.type === 'eof' ||
      this.isOp(')') ||
      this.isName('if') ||
      this.isName('in')
    );
  }

  parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): Expr {
    let expr = this.parseOr();
    while (this.isName('if')) {
      this.next();
      const test = this.parseOr();
      let otherwise: Expr | null = null;
      if (this.isName('else')) {
        this.next();
        otherwise = this.parseCondexpr();
      }
      expr = { type: 'cond', test, value: expr, otherwise };
    }
    return expr;
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isName('or')) {
      this.next();
      left = { type: 'or', left, right: this.parseAnd() };
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isName('and')) {
      this.next();
      left = { type: 'and', left, right: this.parseNot() };
    }
    return left;
  }

  private parseNot(): Expr {
    if (this.isName('not')) {
      this.next();
      return { type: 'unary', op: 'not', operand: this.parseNot() };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const pos = this.current.pos;
    const first = this.parseMath1();
    const ops: { op: string; expr: Expr }[] = [];
    for (;;) {
      const t = this.current;
      if (t.type === 'operator' && COMPARE_OPS.has(String(t.value))) {
        this.next();
        ops.push({ op: String(t.value), expr: this.parseMath1() });
      } else if (this.isName('in')) {
        this.next();
        ops.push({ op: 'in', expr: this.parseMath1() });
      } else if (this.isName('not') && this.isName('in', this.peek())) {
        this.next();
        this.next();
        ops.push({ op: 'notin', expr: this.parseMath1() });
      } else {
        break;
      }
    }
    return ops.length ? { type: 'compare', first, ops, pos } : first;
  }

  private parseMath1(): Expr {
    let left = this.parseConcat();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      left = { type: 'binary', op: String(t.value), left, right: this.parseConcat(), pos: t.pos };
    }
    return left;
  }

  private parseConcat(): Expr {
    const parts = [this.parseMath2()];
    while (this.isOp('~')) {
      this.next();
      parts.push(this.parseMath2());
    }
    return parts.length === 1 ? (parts[0] as Expr) : { type: 'concat', parts };
  }

  private parseMath2(): Expr {
    let left = this.parsePow();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      left = { type: 'binary', op: String(t.value), left, right: this.parsePow(), pos: t.pos };
    }
    return left;
  }

  private parsePow(): Expr {
    let left = this.parseUnary(true);
    while (this.isOp('**')) {
      const t = this.next();
      left = { type: 'binary', op: '**', left, right: this.parseUnary(true), pos: t.pos };
    }
    return left;
  }

  private parseUnary(withFilter: boolean): Expr {
    let node: Expr;
    if (this.isOp('-') || this.isOp('+')) {
      const op = this.next().value as '-' | '+';
      node = { type: 'unary', op, operand: this.parseUnary(false) };
    } else {
      node = this.parsePrimary();
    }
    node = this.parsePostfix(node);
    return withFilter ? this.parseFilterExpr(node) : node;
  }

  private parsePrimary(): Expr {
    const t = this.current;
    if (t.type === 'name') {
      this.next();
      const name = String(t.value);
      if (Object.hasOwn(RESERVED_CONSTANTS, name)) return { type: 'const', value: RESERVED_CONSTANTS[name] };
      return { type: 'name', name, pos: t.pos };
    }
    if (t.type === 'string') {
      let text = String(this.next().value);
      while (this.current.type === 'string') text += String(this.next().value);
      return { type: 'const', value: text };
    }
    if (t.type === 'integer') {
      this.next();
      return { type: 'const', value: t.value };
    }
    if (t.type === 'float') {
      this.next();
      return { type: 'const', value: { float: t.value } };
    }
    if (this.isOp('(')) {
      this.next();
      if (this.isOp(')')) {
        this.next();
        return { type: 'tuple', items: [] };
      }
      const first = this.parseExpression(true);
      if (!this.isOp(',')) {
        this.expectOp(')');
        return first;
      }
      const items = [first];
      while (this.isOp(',')) {
        this.next();
        if (this.isOp(')')) break;
        items.push(this.parseExpression(true));
      }
      this.expectOp(')');
      return { type: 'tuple', items };
    }
    if (this.isOp('[')) {
      this.next();
      const items: Expr[] = [];
      while (!this.isOp(']')) {
        if (items.length) this.expectOp(',');
        if (this.isOp(']')) break;
        items.push(this.parseExpression(true));
      }
      this.next();
      return { type: 'list', items };
    }
    if (this.isOp('{')) {
      this.next();
      const pairs: [Expr, Expr][] = [];
      while (!this.isOp('}')) {
        if (pairs.length) this.expectOp(',');
        if (this.isOp('}')) break;
        const key = this.parseExpression(true);
        this.expectOp(':');
        pairs.push([key, this.parseExpression(true)]);
      }
      this.next();
      return { type: 'dict', pairs };
    }
    return this.fail(`unexpected ${this.describe(t)}`);
  }

  private parsePostfix(start: Expr): Expr {
    let node = start;
    for (;;) {
      const t = this.current;
      if (this.isOp('.')) {
        this.next();
        const attr = this.current;
        if (attr.type === 'name') {
          this.next();
          node = { type: 'getattr', obj: node, attr: String(attr.value), pos: attr.pos };
        } else if (attr.type === 'integer') {
          this.next();
          node = { type: 'getitem', obj: node, index: { type: 'const', value: attr.value }, pos: attr.pos };
        } else {
          this.fail(`expected an attribute name after '.', got ${this.describe(attr)}`);
        }
      } else if (this.isOp('[')) {
        this.next();
        const indexes: Expr[] = [];
        while (!this.isOp(']')) {
          if (indexes.length) this.expectOp(',');
          indexes.push(this.parseSubscribed());
        }
        this.next();
        const index =
          indexes.length === 1 ? (indexes[0] as Expr) : ({ type: 'tuple', items: indexes } as Expr);
        node = { type: 'getitem', obj: node, index, pos: t.pos };
      } else if (this.isOp('(')) {
        node = this.parseCall(node);
      } else {
        return node;
      }
    }
  }

  private parseSubscribed(): Expr {
    let start: Expr | null = null;
    if (!this.isOp(':')) {
      start = this.parseExpression(true);
      if (!this.isOp(':')) return start;
    }
    this.next();
    let stop: Expr | null = null;
    let step: Expr | null = null;
    if (!this.isOp(']') && !this.isOp(',') && !this.isOp(':')) stop = this.parseExpression(true);
    if (this.isOp(':')) {
      this.next();
      if (!this.isOp(']') && !this.isOp(',')) step = this.parseExpression(true);
    }
    return { type: 'slice', start, stop, step };
  }

  private parseCallArgs(): { args: Expr[]; kwargs: [string, Expr][] } {
    this.expectOp('(');
    const args: Expr[] = [];
    const kwargs: [string, Expr][] = [];
    while (!this.isOp(')')) {
      if (args.length || kwargs.length) {
        this.expectOp(',');
        if (this.isOp(')')) break;
      }
      if (this.isOp('*') || this.isOp('**')) this.fail('*args and **kwargs in calls are not supported');
      if (this.current.type === 'name' && this.isOp('=', this.peek())) {
        const key = String(this.next().value);
        this.next();
        kwargs.push([key, this.parseExpression(true)]);
      } else {
        if (kwargs.length) this.fail('a positional argument follows a keyword argument');
        args.push(this.parseExpression(true));
      }
    }
    this.next();
    return { args, kwargs };
  }

  private parseCall(fn: Expr): Expr {
    const pos = this.current.pos;
    const { args, kwargs } = this.parseCallArgs();
    return { type: 'call', fn, args, kwargs, pos };
  }

  private parseFilterExpr(start: Expr): Expr {
    let node = start;
    for (;;) {
      if (this.isOp('|')) {
        this.next();
        node = this.parseFilter(node);
      } else if (this.isName('is')) {
        node = this.parseTest(node);
      } else if (this.isOp('(')) {
        node = this.parseCall(node);
      } else {
        return node;
      }
    }
  }

  private parseFilter(node: Expr): Expr {
    const pos = this.current.pos;
    let name = this.expectName();
    while (this.isOp('.')) {
      this.next();
      name += `.${this.expectName()}`;
    }
    let args: Expr[] = [];
    let kwargs: [string, Expr][] = [];
    if (this.isOp('(')) ({ args, kwargs } = this.parseCallArgs());
    return { type: 'filter', node, name, args, kwargs, pos };
  }

  private parseTest(node: Expr): Expr {
    this.next(); // is
    let negated = false;
    if (this.isName('not')) {
      this.next();
      negated = true;
    }
    const pos = this.current.pos;
    let name: string;
    const t = this.current;
    if (t.type === 'name') {
      name = String(this.next().value);
    } else if (t.type === 'operator' && COMPARE_OPS.has(String(t.value))) {
      name = String(this.next().value);
    } else {
      return this.fail(`expected a test name after 'is', got ${this.describe(t)}`);
    }
    let args: Expr[] = [];
    if (this.isOp('(')) {
      args = this.parseCallArgs().args;
    } else if (this.startsBareTestArgument()) {
      args = [this.parsePostfix(this.parsePrimary())];
    }
    return { type: 'test', node, name, args, negated, pos };
  }

  /** `x is divisibleby 3`: a test may take one argument without parentheses. */
  private startsBareTestArgument(): boolean {
    const t = this.current;
    if (t.type === 'string' || t.type === 'integer' || t.type === 'float') return true;
    if (t.type === 'operator') return t.value === '[' || t.value === '{';
    if (t.type !== 'name') return false;
    return !['else', 'or', 'and', 'if', 'in', 'not', 'is'].includes(String(t.value));
  }
}

export function parseTemplate(source: string): Stmt[] {
  return new Parser(tokenize(source), source).parseTemplate();
}
