// Splits a template into Jinja tokens: text between tags, and the tokens inside `{{ }}` and
// `{% %}` (names, numbers, strings with Python escapes, operators). Comments `{# #}` and
// `{% raw %}` blocks are resolved here, as are the whitespace-control dashes (`{%-`, `-}}`).
// Like Jinja's defaults, one trailing newline of the template is dropped and \r\n becomes \n.

import { TemplateSyntaxError } from './errors.js';

export type TokenType =
  | 'text'
  | 'variable_begin'
  | 'variable_end'
  | 'block_begin'
  | 'block_end'
  | 'name'
  | 'string'
  | 'integer'
  | 'float'
  | 'operator'
  | 'eof';

export interface Token {
  type: TokenType;
  /** the text for text/name/operator; the decoded string; the number */
  value: string | number;
  /** offset in the source, for error messages */
  pos: number;
}

const OPERATORS = [
  '//',
  '**',
  '==',
  '!=',
  '>=',
  '<=',
  '+',
  '-',
  '/',
  '*',
  '%',
  '~',
  '[',
  ']',
  '(',
  ')',
  '{',
  '}',
  '>',
  '<',
  '=',
  '.',
  ':',
  '|',
  ',',
  ';',
];

const FLOAT_RE = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/iy;
const INTEGER_RE = /0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*/iy;
const NAME_RE = /[a-zA-Z_][a-zA-Z0-9_]*/y;
const STRING_RE = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;

/** Decodes Python string escapes the way Jinja does (unknown escapes keep their backslash). */
export function decodeEscapes(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(
    /\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]*\}|\n|.)/gs,
    (whole, esc: string) => {
      switch (esc[0]) {
        case '\n':
          return '';
        case 'n':
          return '\n';
        case 't':
          return '\t';
        case 'r':
          return '\r';
        case '\\':
          return '\\';
        case "'":
          return "'";
        case '"':
          return '"';
        case 'a':
          return '\x07';
        case 'b':
          return '\b';
        case 'f':
          return '\f';
        case 'v':
          return '\v';
        case 'x':
        case 'u':
        case 'U':
          return String.fromCodePoint(Number.parseInt(esc.slice(1), 16));
        default:
          if (/^[0-7]/.test(esc)) return String.fromCodePoint(Number.parseInt(esc, 8));
          return whole;
      }
    },
  );
}

const WHITESPACE_TAIL = /\s*$/;

function stripTrailing(tokens: Token[]): void {
  const last = tokens[tokens.length - 1];
  if (last?.type === 'text' && typeof last.value === 'string')
    last.value = last.value.replace(WHITESPACE_TAIL, '');
}

export function tokenize(input: string): Token[] {
  let source = input.replace(/\r\n?/g, '\n');
  if (source.endsWith('\n')) source = source.slice(0, -1);
  const tokens: Token[] = [];
  let pos = 0;
  let stripNextText = false;
  const pushText = (text: string, at: number): void => {
    const value = stripNextText ? text.replace(/^\s*/, '') : text;
    stripNextText = false;
    if (value) tokens.push({ type: 'text', value, pos: at });
  };
  while (pos < source.length) {
    const open = source.slice(pos).search(/\{[{%#]/);
    if (open < 0) {
      pushText(source.slice(pos), pos);
      break;
    }
    const start = pos + open;
    pushText(source.slice(pos, start), pos);
    const kind = source[start + 1];
    let inner = start + 2;
    if (source[inner] === '-') {
      stripTrailing(tokens);
      inner++;
    } else if (source[inner] === '+') {
      inner++;
    }
    if (kind === '#') {
      const end = source.indexOf('#}', inner);
      if (end < 0) throw new TemplateSyntaxError('missing end of comment tag', input, start);
      stripNextText = source[end - 1] === '-';
      pos = end + 2;
      continue;
    }
    const raw = kind === '%' ? /^\s*raw\s*(-?)%\}/.exec(source.slice(inner)) : null;
    if (raw) {
      const bodyStart = inner + raw[0].length;
      const endRe = /\{%([-+]?)\s*endraw\s*(-?)%\}/g;
      endRe.lastIndex = bodyStart;
      const end = endRe.exec(source);
      if (!end)
        throw new TemplateSyntaxError("missing end of raw directive: add '{% endraw %}'", input, start);
      let body = source.slice(bodyStart, end.index);
      if (raw[1] === '-') body = body.replace(/^\s*/, '');
      if (end[1] === '-') body = body.replace(WHITESPACE_TAIL, '');
      if (body) tokens.push({ type: 'text', value: body, pos: bodyStart });
      stripNextText = end[2] === '-';
      pos = end.index + end[0].length;
      continue;
    }
    tokens.push({ type: kind === '{' ? 'variable_begin' : 'block_begin', value: '', pos: start });
    pos = lexExpression(source, inner, kind === '{' ? '}}' : '%}', tokens, input, (strip) => {
      stripNextText = strip;
    });
  }
  tokens.push({ type: 'eof', value: '', pos: source.length });
  return tokens;
}

function lexExpression(
  source: string,
  start: number,
  close: '}}' | '%}',
  tokens: Token[],
  input: string,
  setStrip: (strip: boolean) => void,
): number {
  let pos = start;
  const balance: string[] = [];
  while (pos < source.length) {
    const ch = source[pos] ?? '';
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      pos++;
      continue;
    }
    if (balance.length === 0) {
      if (source.startsWith(`-${close}`, pos) || source.startsWith(`+${close}`, pos)) {
        setStrip(ch === '-');
        tokens.push({ type: close === '}}' ? 'variable_end' : 'block_end', value: '', pos });
        return pos + 3;
      }
      if (source.startsWith(close, pos)) {
        setStrip(false);
        tokens.push({ type: close === '}}' ? 'variable_end' : 'block_end', value: '', pos });
        return pos + 2;
      }
    }
    STRING_RE.lastIndex = pos;
    let m = STRING_RE.exec(source);
    if (m) {
      tokens.push({ type: 'string', value: decodeEscapes(m[1] ?? m[2] ?? ''), pos });
      pos += m[0].length;
      continue;
    }
    if (ch === "'" || ch === '"')
      throw new TemplateSyntaxError('unexpected char: the string is not closed', input, pos);
    FLOAT_RE.lastIndex = pos;
    m = FLOAT_RE.exec(source);
    if (m && (pos === 0 || source[pos - 1] !== '.')) {
      tokens.push({ type: 'float', value: Number(m[0].replaceAll('_', '')), pos });
      pos += m[0].length;
      continue;
    }
    INTEGER_RE.lastIndex = pos;
    m = INTEGER_RE.exec(source);
    if (m) {
      const text = m[0].replaceAll('_', '').toLowerCase();
      const value = text.startsWith('0o') ? Number.parseInt(text.slice(2), 8) : Number(text);
      tokens.push({ type: 'integer', value, pos });
      pos += m[0].length;
      continue;
    }
    NAME_RE.lastIndex = pos;
    m = NAME_RE.exec(source);
    if (m) {
      tokens.push({ type: 'name', value: m[0], pos });
      pos += m[0].length;
      continue;
    }
    const op = OPERATORS.find((o) => source.startsWith(o, pos));
    if (!op) throw new TemplateSyntaxError(`unexpected char ${JSON.stringify(ch)}`, input, pos);
    if (op === '(' || op === '[' || op === '{') balance.push(op);
    else if (op === ')' || op === ']' || op === '}') {
      const expected = { ')': '(', ']': '[', '}': '{' }[op];
      const top = balance.pop();
      if (top !== expected) throw new TemplateSyntaxError(`unexpected '${op}'`, input, pos);
    }
    tokens.push({ type: 'operator', value: op, pos });
    pos += op.length;
  }
  throw new TemplateSyntaxError(`unexpected end of template: '${close}' is missing`, input, source.length);
}
