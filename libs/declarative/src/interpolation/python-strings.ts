// Python's text operations that JavaScript spells differently: `"%02d" % x` formatting,
// str.format, str.split/strip with Python's whitespace rules, int()/float() parsing, json.dumps
// and Python regular expressions (translated to JS: named groups, \Z, replacement templates).

import { PyDate, pyFloatRepr } from './python-datetime.js';
import {
  dictEntries,
  dictGet,
  isDict,
  isFloat,
  isTuple,
  MISSING,
  num,
  PyError,
  PyFloat,
  PyUndefined,
  pyIntText,
  pyRepr,
  pyStr,
  typeError,
  typeName,
  valueError,
} from './values.js';

// --- printf-style % formatting ---

const PRINTF_RE = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsa%])/g;

function formatFloatFixed(value: number, precision: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  return value.toFixed(precision);
}

function formatExponent(value: number, precision: number, upper: boolean): string {
  if (!Number.isFinite(value)) return formatFloatFixed(value, 0);
  const [mant = '', exp = '0'] = value.toExponential(precision).split('e');
  const e = Number(exp);
  const text = `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return upper ? text.toUpperCase() : text;
}

function formatGeneral(value: number, precision: number, alternate: boolean): string {
  if (!Number.isFinite(value)) return formatFloatFixed(value, 0);
  const p = precision === 0 ? 1 : precision;
  if (value === 0) return alternate ? `0.${'0'.repeat(p - 1)}` : '0';
  const exp = Math.floor(Math.log10(Math.abs(Number(value.toExponential(p - 1)))));
  let text =
    exp < -4 || exp >= p ? formatExponent(value, p - 1, false) : value.toFixed(Math.max(0, p - 1 - exp));
  if (!alternate) {
    text = text.replace(/\.?0+(e|$)/, '$1').replace(/(\.\d*?)0+(e|$)/, '$1$2');
  }
  return text;
}

function intValue(value: unknown, conv: string): number {
  if (typeof value === 'string' || value === null || value instanceof PyUndefined) {
    throw typeError(`%${conv} format: a real number is required, not ${typeName(value)}`);
  }
  return Math.trunc(num(value));
}

/** Python's `format % args`. */
export function percentFormat(format: string, args: unknown): string {
  const positional = isTuple(args) ? args : [args];
  let index = 0;
  const next = (): unknown => {
    if (index >= positional.length) throw typeError('not enough arguments for format string');
    return positional[index++];
  };
  const out = format.replace(
    PRINTF_RE,
    (
      _whole,
      key: string | undefined,
      flags: string,
      widthText: string | undefined,
      precText: string | undefined,
      conv: string,
    ) => {
      if (conv === '%') return '%';
      let value: unknown;
      if (key !== undefined) {
        if (!isDict(args)) throw typeError('format requires a mapping');
        value = dictGet(args, key);
        if (value === MISSING) throw new PyError('KeyError', `'${key}'`);
      } else {
        value = undefined;
      }
      const width = widthText === '*' ? Number(num(next())) : widthText ? Number(widthText) : 0;
      const precision =
        precText === '*' ? Number(num(next())) : precText !== undefined ? Number(precText) : undefined;
      if (key === undefined) value = next();
      let text: string;
      let numeric = true;
      switch (conv) {
        case 'd':
        case 'i':
        case 'u':
          text = pyIntText(Math.abs(intValue(value, conv)));
          if (precision !== undefined) text = text.padStart(precision, '0');
          break;
        case 'o':
        case 'x':
        case 'X': {
          const n = Math.abs(intValue(value, conv));
          text = n.toString(conv === 'o' ? 8 : 16);
          if (conv === 'X') text = text.toUpperCase();
          if (flags.includes('#')) text = (conv === 'o' ? '0o' : conv === 'x' ? '0x' : '0X') + text;
          break;
        }
        case 'e':
        case 'E':
          text = formatExponent(Math.abs(num(value)), precision ?? 6, conv === 'E');
          break;
        case 'f':
        case 'F':
          text = formatFloatFixed(Math.abs(num(value)), precision ?? 6);
          break;
        case 'g':
        case 'G':
          text = formatGeneral(Math.abs(num(value)), precision ?? 6, flags.includes('#'));
          if (conv === 'G') text = text.toUpperCase();
          break;
        case 'c':
          numeric = false;
          text = typeof value === 'string' ? value : String.fromCodePoint(num(value));
          break;
        case 'r':
        case 'a':
          numeric = false;
          text = pyRepr(value);
          break;
        default:
          numeric = false;
          text = pyStr(value);
          if (precision !== undefined) text = text.slice(0, precision);
      }
      if (numeric) {
        const negative = num(value) < 0 || Object.is(num(value), -0);
        const sign = negative ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
        if (flags.includes('0') && !flags.includes('-')) text = text.padStart(width - sign.length, '0');
        text = sign + text;
      }
      return flags.includes('-') ? text.padEnd(width) : text.padStart(width);
    },
  );
  if (index < positional.length && !isDict(args))
    throw typeError('not all arguments converted during string formatting');
  return out;
}

// --- str.format ---

function applyFormatSpec(value: unknown, spec: string): string {
  if (!spec) return pyStr(value);
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/.exec(spec);
  if (!m) throw valueError(`Invalid format specifier '${spec}'`);
  const [, fillChar, align, sign = '-', , zero, widthText, grouping, precText, type] = m;
  const precision = precText === undefined ? undefined : Number(precText);
  let text: string;
  const isNumeric = typeof value === 'number' || value instanceof PyFloat || typeof value === 'boolean';
  if (type === undefined || type === 's') {
    text =
      isNumeric && type === undefined && precision !== undefined
        ? formatGeneral(num(value), precision, false)
        : pyStr(value);
    if (type === 's' && precision !== undefined) text = text.slice(0, precision);
  } else if (type === 'd' || type === 'n') {
    text = pyIntText(Math.abs(Math.trunc(num(value))));
  } else if (type === 'f' || type === 'F') {
    text = formatFloatFixed(Math.abs(num(value)), precision ?? 6);
  } else if (type === 'e' || type === 'E') {
    text = formatExponent(Math.abs(num(value)), precision ?? 6, type === 'E');
  } else if (type === 'g' || type === 'G') {
    text = formatGeneral(Math.abs(num(value)), precision ?? 6, false);
  } else if (type === '%') {
    text = `${formatFloatFixed(Math.abs(num(value)) * 100, precision ?? 6)}%`;
  } else if (type === 'x' || type === 'X' || type === 'o' || type === 'b') {
    text = Math.abs(Math.trunc(num(value))).toString(type === 'o' ? 8 : type === 'b' ? 2 : 16);
    if (type === 'X') text = text.toUpperCase();
  } else {
    text = String.fromCodePoint(num(value));
  }
  if (grouping && isNumeric) {
    const [intPart = '', frac] = text.split('.');
    text = intPart.replace(/\B(?=(\d{3})+(?!\d))/g, grouping) + (frac === undefined ? '' : `.${frac}`);
  }
  if (isNumeric && type !== 'c') {
    const negative = num(value) < 0;
    const signText = negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    if (type !== undefined || typeof value !== 'string')
      text = signText + (negative && type === undefined ? text.replace(/^-/, '') : text);
  }
  const width = widthText ? Number(widthText) : 0;
  const fill = fillChar ?? (zero ? '0' : ' ');
  const alignment = align ?? (zero ? '=' : isNumeric ? '>' : '<');
  if (text.length >= width) return text;
  const padding = width - text.length;
  switch (alignment) {
    case '<':
      return text + fill.repeat(padding);
    case '^':
      return fill.repeat(Math.floor(padding / 2)) + text + fill.repeat(Math.ceil(padding / 2));
    case '=': {
      const signMatch = /^[-+ ]/.exec(text);
      const signPart = signMatch ? signMatch[0] : '';
      return signPart + fill.repeat(padding) + text.slice(signPart.length);
    }
    default:
      return fill.repeat(padding) + text;
  }
}

/** Python's str.format with positional `{}`/`{0}` and keyword `{name}` fields and format specs. */
export function strFormat(
  format: string,
  args: unknown[],
  kwargs: Map<string, unknown> | undefined,
  getField: (obj: unknown, name: string) => unknown,
): string {
  let auto = 0;
  return format.replace(
    /\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g,
    (whole, field: string | undefined, conversion: string | undefined, spec: string | undefined) => {
      if (whole === '{{') return '{';
      if (whole === '}}') return '}';
      const [head = '', ...rest] = (field ?? '').split('.');
      let value: unknown;
      if (head === '') {
        if (auto >= args.length)
          throw new PyError('IndexError', `Replacement index ${auto} out of range for positional args tuple`);
        value = args[auto++];
      } else if (/^\d+$/.test(head)) {
        const i = Number(head);
        if (i >= args.length)
          throw new PyError('IndexError', `Replacement index ${i} out of range for positional args tuple`);
        value = args[i];
      } else {
        if (!kwargs?.has(head)) throw new PyError('KeyError', `'${head}'`);
        value = kwargs.get(head);
      }
      for (const attr of rest) value = getField(value, attr);
      if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
      else if (conversion === 's') value = pyStr(value);
      if (value instanceof PyDate && spec) return spec; // datetime.__format__ would strftime; not used by manifests
      return applyFormatSpec(value, spec ?? '');
    },
  );
}

// --- whitespace, split, strip ---

const PY_WHITESPACE =
  ' \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

export function pyStrip(
  text: string,
  chars: string | null | undefined,
  left: boolean,
  right: boolean,
): string {
  const set = chars ?? PY_WHITESPACE;
  let start = 0;
  let end = text.length;
  if (left) while (start < end && set.includes(text[start] ?? '')) start++;
  if (right) while (end > start && set.includes(text[end - 1] ?? '')) end--;
  return text.slice(start, end);
}

export function pySplit(text: string, sep: string | null | undefined, maxsplit: number): string[] {
  if (sep === '') throw valueError('empty separator');
  if (sep === null || sep === undefined) {
    const parts: string[] = [];
    let rest = pyStrip(text, null, true, false);
    while (rest) {
      if (maxsplit >= 0 && parts.length === maxsplit) {
        parts.push(rest);
        break;
      }
      let i = 0;
      while (i < rest.length && !PY_WHITESPACE.includes(rest[i] ?? '')) i++;
      parts.push(rest.slice(0, i));
      rest = pyStrip(rest.slice(i), null, true, false);
      if (maxsplit >= 0 && parts.length === maxsplit && rest) {
        parts.push(rest);
        break;
      }
    }
    return parts;
  }
  const parts = text.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

export function pyRsplit(text: string, sep: string | null | undefined, maxsplit: number): string[] {
  if (maxsplit < 0) return pySplit(text, sep, -1);
  if (sep === null || sep === undefined) {
    const words = pySplit(text, null, -1);
    if (words.length <= maxsplit + 1) return words;
    const trimmed = pyStrip(text, null, false, true);
    const out: string[] = [];
    let rest = trimmed;
    for (let n = 0; n < maxsplit; n++) {
      let i = rest.length;
      while (i > 0 && !PY_WHITESPACE.includes(rest[i - 1] ?? '')) i--;
      out.unshift(rest.slice(i));
      rest = pyStrip(rest.slice(0, i), null, false, true);
    }
    out.unshift(rest);
    return out;
  }
  const parts = text.split(sep);
  if (parts.length <= maxsplit + 1) return parts;
  return [parts.slice(0, parts.length - maxsplit).join(sep), ...parts.slice(parts.length - maxsplit)];
}

// --- int() and float() ---

/** Python's int(text, base): whitespace and underscores allowed, a ValueError otherwise. */
export function parsePyInt(text: string, base = 10): number {
  const trimmed = pyStrip(text, null, true, true);
  const m = /^([+-]?)(0[xX]|0[oO]|0[bB])?((?:_?[0-9a-zA-Z])+)$/.exec(trimmed);
  let ok = m !== null;
  let value = Number.NaN;
  if (m) {
    const prefix = (m[2] ?? '').toLowerCase();
    let b = base;
    if (prefix) {
      const pb = prefix === '0x' ? 16 : prefix === '0o' ? 8 : 2;
      if (base === 0 || base === pb) b = pb;
      else ok = false;
    } else if (base === 0) {
      b = 10;
      if (/^0+[1-9]/.test(m[3] ?? '')) ok = false;
    }
    const digits = (m[3] ?? '').replace(/^_/, prefix ? '' : '\0').replaceAll('_', '');
    const valid = new RegExp(`^[${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b)}]+$`, 'i');
    if (!valid.test(digits)) ok = false;
    value = Number.parseInt(digits, b) * (m[1] === '-' ? -1 : 1);
  }
  if (!ok || Number.isNaN(value))
    throw valueError(`invalid literal for int() with base ${base}: ${pyRepr(text)}`);
  return value;
}

/** Python's float(text). */
export function parsePyFloat(text: string): number {
  const trimmed = pyStrip(text, null, true, true);
  if (/^[+-]?(inf|infinity)$/i.test(trimmed)) return trimmed.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(trimmed)) return Number.NaN;
  if (!/^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/.test(trimmed)) {
    throw valueError(`could not convert string to float: ${pyRepr(text)}`);
  }
  return Number(trimmed.replaceAll('_', ''));
}

// --- json.dumps ---

function jsonString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) {
      if (code > 0xffff) {
        const hi = Math.floor((code - 0x10000) / 0x400) + 0xd800;
        const lo = ((code - 0x10000) % 0x400) + 0xdc00;
        out += `\\u${hi.toString(16).padStart(4, '0')}\\u${lo.toString(16).padStart(4, '0')}`;
      } else {
        out += `\\u${code.toString(16).padStart(4, '0')}`;
      }
    } else out += ch;
  }
  return `${out}"`;
}

/** Python's json.dumps (default separators, ensure_ascii); a TypeError for what JSON cannot hold. */
export function jsonDumps(value: unknown, sortKeys = false): string {
  if (value === null || value === undefined) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return jsonString(value);
  if (typeof value === 'number' || value instanceof PyFloat) {
    const n = num(value);
    if (Number.isNaN(n)) return 'NaN';
    if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
    return isFloat(value) ? pyFloatRepr(n) : pyIntText(n);
  }
  if (Array.isArray(value)) return `[${value.map((v) => jsonDumps(v, sortKeys)).join(', ')}]`;
  if (isDict(value)) {
    let entries = dictEntries(value).map(([k, v]): [string, unknown] => {
      if (typeof k === 'string') return [k, v];
      if (k === null) return ['null', v];
      if (typeof k === 'boolean') return [k ? 'true' : 'false', v];
      if (typeof k === 'number' || k instanceof PyFloat) return [pyStr(k), v];
      throw typeError(`keys must be str, int, float, bool or None, not ${typeName(k)}`);
    });
    if (sortKeys) entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${jsonString(k)}: ${jsonDumps(v, sortKeys)}`).join(', ')}}`;
  }
  throw typeError(`Object of type ${typeName(value)} is not JSON serializable`);
}

/** json.loads into template values (objects keep their key order as Maps). */
export function jsonLoads(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw valueError(`Expecting value: ${(error as Error).message}`);
  }
  return parsed;
}

// --- regular expressions ---

const regexCache = new Map<string, RegExp>();

/** A Python `re` pattern as a JS RegExp (named groups, \A, \Z, inline flags translated). */
export function pythonRegex(pattern: string, global = false): RegExp {
  const key = `${global ? 'g' : ''}:${pattern}`;
  const cached = regexCache.get(key);
  if (cached) return cached;
  let flags = global ? 'gu' : 'u';
  let source = pattern
    .replace(/\(\?P<([A-Za-z_]\w*)>/g, '(?<$1>')
    .replace(/\(\?P=([A-Za-z_]\w*)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const f of inline[1] ?? '') if ('ims'.includes(f) && !flags.includes(f)) flags += f;
  }
  let regex: RegExp;
  try {
    regex = new RegExp(source, flags);
  } catch {
    try {
      regex = new RegExp(source, flags.replace('u', ''));
    } catch (error) {
      throw new PyError(
        'ValueError',
        `bad regular expression ${pyRepr(pattern)}: ${(error as Error).message}`,
      );
    }
  }
  if (regexCache.size > 500) regexCache.clear();
  regexCache.set(key, regex);
  return regex;
}

/** A Python re.sub replacement template (\1, \g<name>) as a function of a JS match. */
export function pythonReplacement(template: string): (match: string, ...rest: unknown[]) => string {
  return (...matchArgs: unknown[]) => {
    const last = matchArgs[matchArgs.length - 1];
    const hasNamed = typeof last === 'object' && last !== null;
    const groups = hasNamed ? (last as Record<string, string | undefined>) : {};
    const numbered = matchArgs.slice(0, hasNamed ? -3 : -2) as (string | undefined)[];
    return template.replace(
      /\\(?:g<([^>]+)>|(\d{1,2})|([\\ntr]))/g,
      (_w, name: string | undefined, digits: string | undefined, esc: string | undefined) => {
        if (esc) return esc === 'n' ? '\n' : esc === 't' ? '\t' : esc === 'r' ? '\r' : '\\';
        const ref = name ?? digits ?? '';
        if (/^\d+$/.test(ref)) return numbered[Number(ref)] ?? '';
        return groups[ref] ?? '';
      },
    );
  };
}
