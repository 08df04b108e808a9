// YAML text → plain JSON values, with the position of every entry recorded in a `SourceMap`.
// Manifests are written for the reference implementation, which reads them with PyYAML's safe
// loader (YAML 1.1). The scalar rules below follow that loader where it differs from the `yaml`
// package's 1.1 schema, so a manifest means the same thing here: `y`/`n` stay strings (a JSON schema
// property named `y` exists in the corpus), `1e3` without a dot stays a string, and dates stay the
// strings they were written as (plain JSON has no date type). Duplicate keys are allowed, the last
// value winning, as in PyYAML; `<<` merge keys are honoured.

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type ScalarTag,
  type Tags,
} from 'yaml';
import type { ManifestIssue } from './issues.js';
import { type Entry, isPlainObject, type PathStep, type Position, SourceMap, setKey } from './positions.js';

export interface ParsedYaml {
  value: unknown;
  sources: SourceMap;
  issues: ManifestIssue[];
}

const BOOL = 'tag:yaml.org,2002:bool';
const INT = 'tag:yaml.org,2002:int';
const FLOAT = 'tag:yaml.org,2002:float';
const TIMESTAMP = 'tag:yaml.org,2002:timestamp';

const pyYamlBool: ScalarTag = {
  tag: BOOL,
  default: true,
  test: /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/,
  resolve: (text) => /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/.test(text),
};

const pyYamlDecimal: ScalarTag = {
  tag: INT,
  default: true,
  test: /^[-+]?(?:0|[1-9][0-9_]*)$/,
  resolve: (text) => Number(text.replace(/_/g, '')),
};

/** PyYAML wants a dot in a float and a sign in its exponent: `1e3` is a string there. */
const pyYamlFloat: ScalarTag = {
  tag: FLOAT,
  default: true,
  test: /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?)$/,
  resolve: (text) => Number.parseFloat(text.replace(/_/g, '')),
};

function pyYamlTags(tags: Tags): Tags {
  const kept = tags.filter((tag) => {
    if (typeof tag === 'string') return true;
    if (tag.tag === BOOL || tag.tag === TIMESTAMP) return false;
    const test = 'test' in tag && tag.test instanceof RegExp ? tag.test.source : '';
    const format = 'format' in tag ? tag.format : undefined;
    if (tag.tag === INT && test === '^[-+]?[0-9][0-9_]*$') return false;
    // the exponent and decimal forms are replaced by `pyYamlFloat`; .inf/.nan and 1:30.5 stay
    if (tag.tag === FLOAT && !test.includes('inf') && format !== 'TIME') return false;
    return true;
  });
  return [pyYamlBool, pyYamlDecimal, pyYamlFloat, ...kept];
}

/** Expanding aliases can blow a small file up (the "billion laughs"); stop well before memory does. */
const MAX_NODES = 2_000_000;

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    version: '1.1',
    customTags: pyYamlTags,
    uniqueKeys: false,
    lineCounter,
    prettyErrors: true,
  });
  const sources = new SourceMap();
  const issues: ManifestIssue[] = [];
  for (const error of doc.errors) {
    const pos = error.linePos?.[0];
    const message = error.message.split('\n')[0] ?? error.message;
    issues.push({
      path: '',
      ...(pos === undefined ? {} : { line: pos.line, column: pos.col }),
      message: `YAML syntax error: ${message.replace(/ at line \d+, column \d+:?$/, '')}`,
    });
  }
  if (issues.length > 0) return { value: undefined, sources, issues };

  const positionAt = (offset: number | undefined): Position => {
    const pos = lineCounter.linePos(offset ?? 0);
    return { line: pos.line, column: pos.col };
  };
  let nodes = 0;
  const expanding = new Set<Node>();

  const convert = (node: unknown, path: PathStep[]): unknown => {
    if (++nodes > MAX_NODES) throw new TooLarge(path);
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target = node.resolve(doc);
      if (target === undefined) return null;
      if (expanding.has(target)) throw new AliasCycle(path, positionAt(node.range?.[0]));
      expanding.add(target);
      try {
        return convert(target, path);
      } finally {
        expanding.delete(target);
      }
    }
    if (isScalar(node)) {
      const value = node.value;
      if (value instanceof Date) return node.source;
      if (typeof value === 'bigint') return Number(value);
      return value === undefined ? null : value;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, index) => {
        const child = convert(item, [...path, index]);
        out.push(child);
        sources.set(out, index, { at: positionAt((item as Node | null)?.range?.[0] ?? node.range?.[0]) });
      });
      return out;
    }
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const [key, valueNode, at] of mapEntries(node, positionAt)) {
        const child = convert(valueNode, [...path, key]);
        setKey(out, key, child);
        if (!sources.entriesOf(out)?.has(key)) sources.set(out, key, { at });
      }
      return out;
    }
    return null;
  };

  /** Pairs of a mapping in PyYAML's order: merged (`<<`) entries first, explicit ones after. */
  const mapEntries = (
    node: Node,
    positionOf: (offset: number | undefined) => Position,
  ): [string, unknown, Position][] => {
    if (!isMap(node)) return [];
    const merged: [string, unknown, Position][] = [];
    const explicit: [string, unknown, Position][] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key;
      const at = positionOf((keyNode as Node | null)?.range?.[0] ?? node.range?.[0]);
      if (isScalar(keyNode) && typeof keyNode.value === 'symbol') {
        const sources = isSeq(pair.value) ? [...pair.value.items].reverse() : [pair.value];
        for (const source of sources) {
          const target = isAlias(source) ? source.resolve(doc) : source;
          if (target !== undefined && target !== null) merged.push(...mapEntries(target as Node, positionOf));
        }
        continue;
      }
      const rawKey = isScalar(keyNode) ? keyNode.value : keyNode === null ? null : String(keyNode);
      explicit.push([String(rawKey), pair.value, at]);
    }
    return [...merged, ...explicit];
  };

  try {
    return { value: convert(doc.contents, []), sources, issues };
  } catch (error) {
    if (error instanceof AliasCycle) {
      issues.push({
        path: '',
        line: error.at.line,
        column: error.at.column,
        message: 'YAML alias refers to a node that contains it; the document would be infinite',
      });
      return { value: undefined, sources, issues };
    }
    if (error instanceof TooLarge) {
      issues.push({
        path: '',
        message: `the document expands to more than ${MAX_NODES} nodes (through YAML aliases); it is refused`,
      });
      return { value: undefined, sources, issues };
    }
    throw error;
  }
}

class AliasCycle extends Error {
  constructor(
    readonly path: PathStep[],
    readonly at: Position,
  ) {
    super('alias cycle');
  }
}

class TooLarge extends Error {
  constructor(readonly path: PathStep[]) {
    super('too large');
  }
}

/** Deep copy of plain JSON that keeps the source positions of every copied container. */
export function copyWithSources(value: unknown, sources: SourceMap): unknown {
  if (Array.isArray(value)) {
    const out = value.map((item) => copyWithSources(item, sources));
    const entries = sources.entriesOf(value);
    if (entries !== undefined) sources.register(out, new Map(entries));
    return out;
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) setKey(out, key, copyWithSources(value[key], sources));
    const entries = sources.entriesOf(value);
    if (entries !== undefined) sources.register(out, new Map<PathStep, Entry>(entries));
    return out;
  }
  return value;
}
