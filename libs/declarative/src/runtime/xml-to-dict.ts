// XML → the mapping the reference's XmlDecoder yields (xmltodict's shapes), so that a manifest's
// field paths and templates read the same values:
// - the document is `{ rootTag: value }`; tag and attribute names are kept as written (`ns:tag`);
// - an element with neither attributes nor children is its text, stripped, or null when empty;
// - otherwise a mapping: attributes first as `@name`, then children by tag in the order they first
//   appear (a repeated tag becomes a list), then the text, stripped, as `#text` when not empty;
// - every value is a string: XML carries no types.
// Comments, processing instructions and the DOCTYPE are skipped; CDATA is text. Input that is not
// well-formed XML is an error (XmlSyntaxError) with the line and column.

export class XmlSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${reason} at line ${line}, column ${column}`);
    this.name = 'XmlSyntaxError';
  }
}

export type XmlValue = string | null | XmlMapping | XmlValue[];
export interface XmlMapping {
  [key: string]: XmlValue;
}

interface OpenElement {
  name: string;
  item: XmlMapping | null;
  text: string[];
}

const NAME = /[^\s/>=<"'!?]+/y;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function pushValue(item: XmlMapping | null, key: string, value: XmlValue): XmlMapping {
  const target = item ?? {};
  if (Object.hasOwn(target, key)) {
    const existing = target[key]!;
    if (Array.isArray(existing)) existing.push(value);
    else target[key] = [existing, value];
  } else {
    target[key] = value;
  }
  return target;
}

class XmlReader {
  private pos = 0;
  private readonly stack: OpenElement[] = [];
  private document: XmlMapping | null = null;

  constructor(private readonly text: string) {}

  parse(): XmlMapping {
    const { text } = this;
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1;
    while (this.pos < text.length) {
      const lt = text.indexOf('<', this.pos);
      const end = lt === -1 ? text.length : lt;
      if (end > this.pos) this.characters(text.slice(this.pos, end));
      if (lt === -1) break;
      this.pos = lt;
      if (text.startsWith('<!--', lt)) this.skipPast('-->', 'an unclosed comment');
      else if (text.startsWith('<![CDATA[', lt)) this.cdata();
      else if (text.startsWith('<?', lt)) this.skipPast('?>', 'an unclosed processing instruction');
      else if (text.startsWith('<!DOCTYPE', lt)) this.doctype();
      else if (text[lt + 1] === '/') this.endTag();
      else this.startTag();
    }
    if (this.stack.length > 0) this.fail(`the element <${this.stack.at(-1)!.name}> is never closed`);
    if (!this.document) this.fail('no element found');
    return this.document!;
  }

  private fail(reason: string, at = this.pos): never {
    const before = this.text.slice(0, at);
    const line = before.split('\n').length;
    const column = at - (before.lastIndexOf('\n') + 1);
    throw new XmlSyntaxError(reason, line, column);
  }

  private skipPast(terminator: string, what: string): void {
    const end = this.text.indexOf(terminator, this.pos);
    if (end === -1) this.fail(what);
    this.pos = end + terminator.length;
  }

  private characters(raw: string): void {
    const open = this.stack.at(-1);
    if (!open) {
      if (raw.trim() !== '')
        this.fail(this.document ? 'text after the document element' : 'text before the document element');
      return;
    }
    open.text.push(this.decode(raw, this.pos));
  }

  private cdata(): void {
    const start = this.pos + '<![CDATA['.length;
    const end = this.text.indexOf(']]>', start);
    if (end === -1) this.fail('an unclosed CDATA section');
    const open = this.stack.at(-1);
    if (!open) this.fail('CDATA outside the document element');
    open.text.push(this.text.slice(start, end));
    this.pos = end + 3;
  }

  /** Skips `<!DOCTYPE …>`, including an internal subset in brackets. */
  private doctype(): void {
    if (this.document || this.stack.length > 0) this.fail('a DOCTYPE after the document element started');
    let depth = 0;
    for (let i = this.pos; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if (c === '>' && depth <= 0) {
        this.pos = i + 1;
        return;
      }
    }
    this.fail('an unclosed DOCTYPE');
  }

  private name(): string {
    NAME.lastIndex = this.pos;
    const match = NAME.exec(this.text);
    if (!match) this.fail('a tag or attribute name was expected');
    this.pos += match[0].length;
    return match[0];
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }

  private startTag(): void {
    if (this.document && this.stack.length === 0) this.fail('a second element after the document element');
    this.pos++;
    const name = this.name();
    let item: XmlMapping | null = null;
    for (;;) {
      const before = this.pos;
      this.skipSpace();
      const c = this.text[this.pos];
      if (c === undefined) this.fail(`the tag <${name}> is never closed`);
      if (c === '>' || (c === '/' && this.text[this.pos + 1] === '>')) {
        const selfClosing = c === '/';
        this.pos += selfClosing ? 2 : 1;
        this.stack.push({ name, item, text: [] });
        if (selfClosing) this.closeTop();
        return;
      }
      if (this.pos === before) this.fail(`a space was expected between the attributes of <${name}>`);
      const attribute = this.name();
      this.skipSpace();
      if (this.text[this.pos] !== '=') this.fail(`the attribute ${attribute} of <${name}> has no value`);
      this.pos++;
      this.skipSpace();
      const quote = this.text[this.pos];
      if (quote !== '"' && quote !== "'") this.fail(`the value of the attribute ${attribute} is not quoted`);
      const end = this.text.indexOf(quote, this.pos + 1);
      if (end === -1) this.fail(`the value of the attribute ${attribute} is never closed`);
      const raw = this.text.slice(this.pos + 1, end);
      if (raw.includes('<')) this.fail(`'<' in the value of the attribute ${attribute}`);
      const key = `@${attribute}`;
      if (item && Object.hasOwn(item, key))
        this.fail(`the attribute ${attribute} appears twice on <${name}>`);
      // attribute values normalize tabs and line breaks to spaces, as XML requires
      item ??= {};
      item[key] = this.decode(raw.replace(/\r\n|[\t\n\r]/g, ' '), this.pos + 1);
      this.pos = end + 1;
    }
  }

  private endTag(): void {
    const at = this.pos;
    this.pos += 2;
    const name = this.name();
    this.skipSpace();
    if (this.text[this.pos] !== '>') this.fail(`the end tag </${name}> is not closed`);
    this.pos++;
    const open = this.stack.at(-1);
    if (!open) this.fail(`the end tag </${name}> closes nothing`, at);
    if (open.name !== name) this.fail(`the end tag </${name}> does not match <${open.name}>`, at);
    this.closeTop();
  }

  private closeTop(): void {
    const open = this.stack.pop()!;
    const data = open.text.join('').trim();
    let value: XmlValue;
    if (open.item) value = data === '' ? open.item : pushValue(open.item, '#text', data);
    else value = data === '' ? null : data;
    const parent = this.stack.at(-1);
    if (parent) parent.item = pushValue(parent.item, open.name, value);
    else this.document = { [open.name]: value };
  }

  /** Replaces entity and character references; `at` places errors. */
  private decode(raw: string, at: number): string {
    if (!raw.includes('&')) return raw.includes('\r') ? raw.replace(/\r\n?/g, '\n') : raw;
    return raw.replace(/\r\n?/g, '\n').replace(/&([^;&\s]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) this.fail(`an '&' that starts no reference: "${whole}"`, at);
      if (ref.startsWith('#x') || ref.startsWith('#X'))
        return this.codePoint(Number.parseInt(ref.slice(2), 16), whole, at);
      if (ref.startsWith('#')) return this.codePoint(Number.parseInt(ref.slice(1), 10), whole, at);
      const known = PREDEFINED[ref];
      if (known === undefined) this.fail(`the undefined entity ${whole}`, at);
      return known;
    });
  }

  private codePoint(code: number, whole: string, at: number): string {
    if (!Number.isInteger(code) || code < 1 || code > 0x10ffff)
      this.fail(`the invalid character reference ${whole}`, at);
    return String.fromCodePoint(code);
  }
}

/** Parses an XML document into xmltodict's shape; throws XmlSyntaxError when it is not well-formed. */
export function xmlToDict(text: string): XmlMapping {
  return new XmlReader(text).parse();
}
