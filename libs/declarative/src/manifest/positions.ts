// Where each part of a manifest came from in the YAML text. Resolution copies definitions into the
// places that reference them, so a node's position is kept beside the tree rather than in it: every
// container built by the loader is registered in a `SourceMap` with the position of each of its
// entries, and an entry that arrived through a `$ref` remembers the reference sites it came through.
// Paths are printed the way users read YAML: `streams[2].retriever.requester.url_base`.

export interface Position {
  line: number;
  column: number;
}

/** The position of one entry (a mapping key or a sequence item), and the `$ref` sites it came through. */
export interface Entry {
  readonly at: Position;
  /** reference sites, outermost first, when the entry's value was copied from a definition */
  readonly via?: readonly Position[];
}

export type PathStep = string | number;

const START: Position = { line: 1, column: 1 };

/** Positions of the containers of one manifest; containers are keyed by identity. */
export class SourceMap {
  readonly #entries = new WeakMap<object, Map<PathStep, Entry>>();

  entriesOf(container: object): Map<PathStep, Entry> | undefined {
    return this.#entries.get(container);
  }

  /** Registers (or replaces) the entry positions of a container. */
  register(container: object, entries: Map<PathStep, Entry>): void {
    this.#entries.set(container, entries);
  }

  /** Records one entry's position, creating the container's table when needed. */
  set(container: object, key: PathStep, entry: Entry | undefined): void {
    if (entry === undefined) return;
    let table = this.#entries.get(container);
    if (table === undefined) {
      table = new Map();
      this.#entries.set(container, table);
    }
    table.set(key, entry);
  }

  /**
   * The position of the node at `path` (or of its nearest ancestor that has one) and the reference
   * sites crossed on the way down, outermost first.
   */
  trace(root: unknown, path: readonly PathStep[]): { at: Position; via: Position[] } | undefined {
    let node: unknown = root;
    let at = START;
    const via: Position[] = [];
    for (const step of path) {
      if (node === null || typeof node !== 'object') return undefined;
      const entry = this.#entries.get(node)?.get(step);
      const child: unknown = Array.isArray(node)
        ? typeof step === 'number'
          ? node[step]
          : undefined
        : (node as Record<string, unknown>)[String(step)];
      const exists = Array.isArray(node)
        ? typeof step === 'number' && step >= 0 && step < node.length
        : Object.hasOwn(node, String(step));
      if (!exists) return undefined;
      if (entry !== undefined) {
        at = entry.at;
        if (entry.via !== undefined) via.push(...entry.via);
      }
      node = child;
    }
    return { at, via };
  }
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** `streams[2].retriever.requester.url_base`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathStep[]): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (IDENTIFIER.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Sets a key without letting `__proto__` change the object's prototype. */
export function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
