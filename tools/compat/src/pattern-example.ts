// One string a simple regular expression accepts, for config fields whose spec pattern none of the
// usual candidates match (`^(sandbox|live)_.+$` → `sandbox_x`). Deterministic: the first
// alternative, the first character of a class, the fewest repetitions a quantifier allows (one for
// `+`). Returns undefined for what it does not understand (lookarounds, backreferences); the caller
// checks the result against the real regex anyway.

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'group'; alternatives: Node[][] }
  | { kind: 'repeat'; node: Node; min: number };

const CLASS_ESCAPES: Record<string, string> = { d: '0', w: 'a', s: ' ', D: 'a', W: '-', S: 'x' };

class Parser {
  private pos = 0;
  constructor(private readonly source: string) {}

  parse(): Node[][] | undefined {
    const alternatives = this.alternatives();
    return this.pos === this.source.length ? alternatives : undefined;
  }

  private alternatives(): Node[][] {
    const out: Node[][] = [this.sequence()];
    while (this.source[this.pos] === '|') {
      this.pos++;
      out.push(this.sequence());
    }
    return out;
  }

  private sequence(): Node[] {
    const nodes: Node[] = [];
    for (;;) {
      const c = this.source[this.pos];
      if (c === undefined || c === '|' || c === ')') return nodes;
      let atom = this.atom();
      if (!atom) throw new Error('unsupported');
      const quantifier = this.source[this.pos];
      if (quantifier === '*' || quantifier === '?') {
        this.pos++;
        atom = { kind: 'repeat', node: atom, min: 0 };
      } else if (quantifier === '+') {
        this.pos++;
        atom = { kind: 'repeat', node: atom, min: 1 };
      } else if (quantifier === '{') {
        const match = /^\{(\d+)(,\d*)?\}/.exec(this.source.slice(this.pos));
        if (!match) throw new Error('unsupported');
        this.pos += match[0].length;
        atom = { kind: 'repeat', node: atom, min: Number(match[1]) };
      }
      if (this.source[this.pos] === '?') this.pos++; // lazy quantifier: same example
      nodes.push(atom);
    }
  }

  private atom(): Node | undefined {
    const c = this.source[this.pos++];
    switch (c) {
      case '^':
      case '$':
        return { kind: 'text', text: '' };
      case '.':
        return { kind: 'text', text: 'x' };
      case '(': {
        if (this.source[this.pos] === '?') {
          if (this.source[this.pos + 1] !== ':') return undefined;
          this.pos += 2;
        }
        const alternatives = this.alternatives();
        if (this.source[this.pos++] !== ')') return undefined;
        return { kind: 'group', alternatives };
      }
      case '[':
        return this.characterClass();
      case '\\': {
        const e = this.source[this.pos++];
        if (e === undefined || /[1-9bBkpPu]/.test(e)) return undefined;
        return { kind: 'text', text: CLASS_ESCAPES[e] ?? e };
      }
      default:
        return c === undefined || c === ')' || c === '|' ? undefined : { kind: 'text', text: c };
    }
  }

  private characterClass(): Node | undefined {
    const end = this.source.indexOf(']', this.pos + 1);
    if (end === -1) return undefined;
    const body = this.source.slice(this.pos, end);
    this.pos = end + 1;
    if (body.startsWith('^')) return { kind: 'text', text: body.includes('x') ? 'Q' : 'x' };
    if (body.startsWith('\\')) return { kind: 'text', text: CLASS_ESCAPES[body[1] ?? ''] ?? body[1] ?? 'x' };
    return { kind: 'text', text: body[0] ?? 'x' };
  }
}

function render(sequence: Node[]): string {
  return sequence
    .map((node) => {
      if (node.kind === 'text') return node.text;
      if (node.kind === 'group') return render(node.alternatives[0] ?? []);
      return render([node.node]).repeat(node.min);
    })
    .join('');
}

/** An example string for `pattern`, or undefined when the pattern is beyond this generator. */
export function exampleForPattern(pattern: string): string | undefined {
  try {
    const alternatives = new Parser(pattern).parse();
    if (!alternatives) return undefined;
    const example = render(alternatives[0] ?? []);
    return new RegExp(pattern, 'u').test(example) ? example : undefined;
  } catch {
    return undefined;
  }
}
