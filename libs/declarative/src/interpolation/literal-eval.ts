// Python's ast.literal_eval over a rendered template: the reference turns "{{ 5 }}" into the
// number 5, "True" into true, "[1, 2]" into a list and "{'a': 1}" into a dict this way. Accepts
// exactly Python's literal grammar (strings with prefixes and escapes, ints with _ and 0x/0o/0b,
// floats, True/False/None, lists, tuples with or without parentheses, dicts, sets, unary +/- on
// numbers, comments and line continuations) and reports anything else as "not a literal".

import { decodeEscapes } from './lexer.js';
import { makeFloat, makeTuple } from './values.js';

type Tok =
  | { t: 'num'; value: number | { float: number }; complex: boolean }
  | { t: 'str'; value: string; bytes: boolean; fstring: boolean }
  | { t: 'name'; value: string }
  | { t: 'op'; value: string }
  | { t: 'newline' }
  | { t: 'end' };

/** Thrown (without a stack trace, which would dominate the cost) when the text is not a literal. */
class NotALiteral {}
const NOT_A_LITERAL = new NotALiteral();

const NUMBER_RE =
  /(?:0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?)(?![\w.])/y;
const STRING_PREFIX_RE = /(?:[rR][bBfF]?|[bBfF][rR]?|[uU])?(?='|")/y;

function readString(text: string, start: number): { tok: Tok; end: number } {
  STRING_PREFIX_RE.lastIndex = start;
  const prefixMatch = STRING_PREFIX_RE.exec(text);
  const prefix = (prefixMatch?.[0] ?? '').toLowerCase();
  let pos = start + prefix.length;
  const q = text[pos] ?? '';
  const quote = text.slice(pos, pos + 3) === q.repeat(3) ? q.repeat(3) : q;
  pos += quote.length;
  let body = '';
  for (;;) {
    if (pos >= text.length) throw NOT_A_LITERAL;
    if (text.startsWith(quote, pos)) break;
    const ch = text[pos] ?? '';
    if (ch === '\\') {
      body += text.slice(pos, pos + 2);
      pos += 2;
      continue;
    }
    if (ch === '\n' && quote.length === 1) throw NOT_A_LITERAL;
    body += ch;
    pos++;
  }
  const raw = prefix.includes('r');
  const value = raw ? body : decodeEscapes(body);
  return {
    tok: { t: 'str', value, bytes: prefix.includes('b'), fstring: prefix.includes('f') },
    end: pos + quote.length,
  };
}

function tokenize(input: string): Tok[] {
  const text = input.replace(/^[ \t]+/, '').replace(/\r\n?/g, '\n');
  const toks: Tok[] = [];
  let pos = 0;
  let depth = 0;
  let lineStart = true;
  while (pos < text.length) {
    const ch = text[pos] ?? '';
    if (lineStart && depth === 0) {
      // a blank or comment-only line is skipped; a real line must not be indented
      const lineEnd = text.indexOf('\n', pos);
      const line = text.slice(pos, lineEnd < 0 ? text.length : lineEnd);
      if (/^[ \t\f]*(#.*)?$/.test(line)) {
        pos = lineEnd < 0 ? text.length : lineEnd + 1;
        continue;
      }
      if (/^[ \t]/.test(line) && !/^\f/.test(line)) throw NOT_A_LITERAL;
      lineStart = false;
    }
    if (ch === ' ' || ch === '\t' || ch === '\f') {
      pos++;
      continue;
    }
    if (ch === '\\' && text[pos + 1] === '\n') {
      pos += 2;
      continue;
    }
    if (ch === '#') {
      while (pos < text.length && text[pos] !== '\n') pos++;
      continue;
    }
    if (ch === '\n') {
      if (depth === 0) {
        toks.push({ t: 'newline' });
        lineStart = true;
      }
      pos++;
      continue;
    }
    STRING_PREFIX_RE.lastIndex = pos;
    if (ch === "'" || ch === '"' || (/[rRbBfFuU]/.test(ch) && STRING_PREFIX_RE.test(text))) {
      const { tok, end } = readString(text, pos);
      toks.push(tok);
      pos = end;
      continue;
    }
    NUMBER_RE.lastIndex = pos;
    const numMatch = /[\d.]/.test(ch) ? NUMBER_RE.exec(text) : null;
    if (numMatch && numMatch[0] !== '.') {
      const raw = numMatch[0].replaceAll('_', '');
      const complex = /[jJ]$/.test(raw);
      const body = complex ? raw.slice(0, -1) : raw;
      let value: number | { float: number };
      if (/^0[xob]/i.test(body)) {
        const base = { x: 16, o: 8, b: 2 }[body[1]?.toLowerCase() as 'x' | 'o' | 'b'];
        value = Number.parseInt(body.slice(2), base);
      } else if (/[.eE]/.test(body)) {
        value = { float: Number(body) };
      } else {
        if (/^0\d/.test(body) && /[1-9]/.test(body)) throw NOT_A_LITERAL;
        value = Number(body);
      }
      toks.push({ t: 'num', value, complex });
      pos += numMatch[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(pos, pos + 64));
    if (name) {
      toks.push({ t: 'name', value: name[0] });
      pos += name[0].length;
      continue;
    }
    if ('([{'.includes(ch)) depth++;
    if (')]}'.includes(ch)) depth--;
    if (depth < 0) throw NOT_A_LITERAL;
    toks.push({ t: 'op', value: ch });
    pos++;
  }
  toks.push({ t: 'end' });
  return toks;
}

class LiteralParser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private get cur(): Tok {
    return this.toks[this.i] ?? { t: 'end' };
  }

  private isOp(value: string): boolean {
    const c = this.cur;
    return c.t === 'op' && c.value === value;
  }

  private expectOp(value: string): void {
    if (!this.isOp(value)) throw NOT_A_LITERAL;
    this.i++;
  }

  parseAll(): unknown {
    const value = this.parseTupleOrExpr(true);
    while (this.cur.t === 'newline') this.i++;
    if (this.cur.t !== 'end') throw NOT_A_LITERAL;
    return value;
  }

  /** `1, 2` is a tuple at the top level and inside parentheses. */
  private parseTupleOrExpr(topLevel: boolean): unknown {
    const first = this.parseValue();
    if (!this.isOp(',')) return first;
    const items = [first];
    while (this.isOp(',')) {
      this.i++;
      if (this.isTupleEnd(topLevel)) break;
      items.push(this.parseValue());
    }
    return makeTuple(items);
  }

  private isTupleEnd(topLevel: boolean): boolean {
    const c = this.cur;
    return topLevel ? c.t === 'end' || c.t === 'newline' : this.isOp(')');
  }

  private parseValue(): unknown {
    const c = this.cur;
    if (c.t === 'op' && (c.value === '-' || c.value === '+')) {
      this.i++;
      const operand = this.cur;
      if (operand.t === 'op' && operand.value === '(') {
        const inner = this.parseValue();
        return this.signed(c.value, inner);
      }
      if (operand.t !== 'num') throw NOT_A_LITERAL;
      return this.signed(c.value, this.parseValue());
    }
    if (c.t === 'num') {
      this.i++;
      if (c.complex) throw NOT_A_LITERAL;
      const value = typeof c.value === 'number' ? c.value : makeFloat(c.value.float);
      // `1+2j` is a complex number, which the reference does not return
      if (this.isOp('+') || this.isOp('-')) throw NOT_A_LITERAL;
      return value;
    }
    if (c.t === 'str') {
      let text = '';
      let bytes = c.bytes;
      while (this.cur.t === 'str') {
        const s = this.cur as Extract<Tok, { t: 'str' }>;
        if (s.fstring) throw NOT_A_LITERAL;
        if (s.bytes !== bytes && text !== '') throw NOT_A_LITERAL;
        bytes = s.bytes;
        text += s.value;
        this.i++;
      }
      return text;
    }
    if (c.t === 'name') {
      this.i++;
      if (c.value === 'True') return true;
      if (c.value === 'False') return false;
      if (c.value === 'None') return null;
      // literal_eval accepts the call `set()`, the only way to write an empty set
      if (c.value === 'set' && this.isOp('(')) {
        this.i++;
        this.expectOp(')');
        return new Set();
      }
      throw NOT_A_LITERAL;
    }
    if (c.t === 'op') {
      if (c.value === '(') {
        this.i++;
        if (this.isOp(')')) {
          this.i++;
          return makeTuple([]);
        }
        const inner = this.parseTupleOrExpr(false);
        this.expectOp(')');
        return inner;
      }
      if (c.value === '[') {
        this.i++;
        const items: unknown[] = [];
        while (!this.isOp(']')) {
          if (items.length) {
            this.expectOp(',');
            if (this.isOp(']')) break;
          }
          items.push(this.parseValue());
        }
        this.i++;
        return items;
      }
      if (c.value === '{') return this.parseBraces();
    }
    throw NOT_A_LITERAL;
  }

  private signed(sign: string, value: unknown): unknown {
    if (typeof value === 'number') return sign === '-' ? -value : value;
    if (
      typeof value === 'object' &&
      value !== null &&
      'value' in value &&
      typeof (value as { value: unknown }).value === 'number'
    ) {
      const n = (value as { value: number }).value;
      return makeFloat(sign === '-' ? -n : n);
    }
    throw NOT_A_LITERAL;
  }

  private parseBraces(): unknown {
    this.i++;
    if (this.isOp('}')) {
      this.i++;
      return new Map();
    }
    const firstKey = this.parseValue();
    if (this.isOp(':')) {
      const map = new Map<unknown, unknown>();
      this.i++;
      map.set(hashable(firstKey), this.parseValue());
      while (!this.isOp('}')) {
        this.expectOp(',');
        if (this.isOp('}')) break;
        const key = this.parseValue();
        this.expectOp(':');
        map.set(hashable(key), this.parseValue());
      }
      this.i++;
      return map;
    }
    const set = new Set<unknown>([hashable(firstKey)]);
    while (!this.isOp('}')) {
      this.expectOp(',');
      if (this.isOp('}')) break;
      set.add(hashable(this.parseValue()));
    }
    this.i++;
    return set;
  }
}

function hashable(key: unknown): unknown {
  if (Array.isArray(key) && !Object.isFrozen(key)) {
    // lists are unhashable in Python; tuples are fine but rare as keys: keep their text
    throw NOT_A_LITERAL;
  }
  if (key instanceof Map || key instanceof Set) throw NOT_A_LITERAL;
  if (typeof key === 'object' && key !== null && 'value' in key) return (key as { value: unknown }).value;
  return key;
}

/** The value `text` denotes as a Python literal, or `undefined` when it is not one. */
/** What a Python literal may start with (after blanks): quote, digit, sign, bracket, dot, or a name. */
const LITERAL_START = /^[\s]*(?:['"\d.+\-([{#\\]|(?:True|False|None|set)\b|[rRbBuUfF]{1,2}['"])/;

export function literalEval(text: string): { value: unknown } | undefined {
  if (!LITERAL_START.test(text)) return undefined;
  try {
    return { value: new LiteralParser(tokenize(text)).parseAll() };
  } catch (error) {
    if (error instanceof NotALiteral) return undefined;
    throw error;
  }
}
