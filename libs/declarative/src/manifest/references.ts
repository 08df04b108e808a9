// `$ref` resolution, with the reference implementation's semantics:
// - any string value that starts with `#/` is a reference (not only the value of a `$ref` key), and
//   is replaced by a resolved copy of what it points to;
// - a mapping with a `$ref` key becomes the referenced mapping with the mapping's other keys laid over
//   it (a shallow merge: a sibling replaces the referenced key's whole value); when the reference
//   points to something that is not a mapping, the node becomes that value and its siblings are dropped;
// - pointers are read loosely: at each level the whole rest of the pointer is first tried as one key
//   (so `#/a/b` finds a top-level key named `a/b`), then the first segment is taken and the rest
//   looked up below it; a numeric segment indexes a list;
// - references inside a referenced value are resolved too, against the original document; a chain
//   that comes back to a reference it is already inside of is a cycle;
// - the values of `config_overrides` hold connector config, not components, and are copied verbatim.
// Every copy keeps the YAML positions of what it was copied from, plus the reference sites it came
// through (see positions.ts), so errors deep inside a definition can point at both.

import type { ManifestIssue } from './issues.js';
import { type Entry, formatPath, isPlainObject, type PathStep, type SourceMap, setKey } from './positions.js';
import { copyWithSources } from './yaml-source.js';

const REF_KEY = '$ref';
const VERBATIM_KEYS = new Set(['config_overrides']);

function isReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('#/');
}

interface Found {
  value: unknown;
  entry: Entry;
}

interface Lookup {
  found?: Found;
  /** where the lookup stopped, to explain a missing reference */
  missing?: { at: string; key: string; available: string[] };
}

function lookup(root: unknown, pointer: string, sources: SourceMap): Lookup {
  let node = root;
  let rest = pointer;
  let entry: Entry = { at: { line: 1, column: 1 } };
  const walked: string[] = [];
  while (rest !== '') {
    if (isPlainObject(node) && Object.hasOwn(node, rest)) {
      return { found: { value: node[rest], entry: sources.entriesOf(node)?.get(rest) ?? entry } };
    }
    const slash = rest.indexOf('/');
    const head = slash === -1 ? rest : rest.slice(0, slash);
    rest = slash === -1 ? '' : rest.slice(slash + 1);
    let next: unknown;
    let step: PathStep = head;
    if (Array.isArray(node) && /^[-+]?\d+$/.test(head)) {
      let index = Number(head);
      if (index < 0) index += node.length;
      step = index;
      next = index >= 0 && index < node.length ? node[index] : undefined;
    } else if (isPlainObject(node) && Object.hasOwn(node, head)) {
      next = node[head];
    }
    if (next === undefined) {
      const available = isPlainObject(node) ? Object.keys(node) : [];
      return { missing: { at: walked.length === 0 ? '#' : `#/${walked.join('/')}`, key: head, available } };
    }
    entry = sources.entriesOf(node as object)?.get(step) ?? entry;
    walked.push(head);
    node = next;
  }
  return { found: { value: node, entry } };
}

/** Closest names, for "did you mean" hints. */
export function closest(word: string, candidates: Iterable<string>, limit = 3): string[] {
  const scored: [number, string][] = [];
  const lower = word.toLowerCase();
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance <= Math.max(1, Math.floor(word.length / 3))) scored.push([distance, candidate]);
  }
  return scored
    .sort((a, b) => a[0] - b[0])
    .slice(0, limit)
    .map(([, name]) => name);
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * Resolves every reference of `document`. Returns a new tree (the input is not changed) whose
 * containers are registered in `sources`; problems are appended to `issues` and the bad reference
 * is replaced by `null`.
 */
export function resolveReferences(document: unknown, sources: SourceMap, issues: ManifestIssue[]): unknown {
  const rootEntry: Entry = { at: { line: 1, column: 1 } };
  // The same cycle is met again from every place that enters it; report it once.
  const reportedCycles = new Set<string>();

  const resolve = (raw: unknown, site: Entry, chain: readonly string[], path: PathStep[]): Found => {
    if (isReference(raw)) return follow(raw, site, chain, path);
    if (Array.isArray(raw)) {
      const out: unknown[] = [];
      const table = sources.entriesOf(raw);
      raw.forEach((item, index) => {
        const itemSite = table?.get(index) ?? site;
        const child = resolve(item, itemSite, chain, [...path, index]);
        out.push(child.value);
        sources.set(out, index, child.entry);
      });
      return { value: out, entry: site };
    }
    if (!isPlainObject(raw)) return { value: raw, entry: site };

    const table = sources.entriesOf(raw);
    const local: Record<string, unknown> = {};
    const localEntries = new Map<PathStep, Entry>();
    for (const key of Object.keys(raw)) {
      if (key === REF_KEY) continue;
      const keySite = table?.get(key) ?? site;
      const child = VERBATIM_KEYS.has(key)
        ? { value: copyWithSources(raw[key], sources), entry: keySite }
        : resolve(raw[key], keySite, chain, [...path, key]);
      setKey(local, key, child.value);
      localEntries.set(key, child.entry);
    }
    if (!Object.hasOwn(raw, REF_KEY)) {
      sources.register(local, localEntries);
      return { value: local, entry: site };
    }

    const refSite = table?.get(REF_KEY) ?? site;
    const target = resolve(raw[REF_KEY], refSite, chain, path);
    if (!isPlainObject(target.value)) return target;
    // Keys of the referenced mapping come first, in their order; local keys replace theirs in place.
    const merged: Record<string, unknown> = {};
    const mergedEntries = new Map<PathStep, Entry>();
    const inherited = sources.entriesOf(target.value);
    const through = target.entry.via ?? [];
    for (const key of Object.keys(target.value)) {
      setKey(merged, key, target.value[key]);
      const entry = inherited?.get(key);
      if (entry !== undefined)
        mergedEntries.set(key, { at: entry.at, via: [...through, ...(entry.via ?? [])] });
    }
    for (const key of Object.keys(local)) {
      setKey(merged, key, local[key]);
      const entry = localEntries.get(key);
      if (entry !== undefined) mergedEntries.set(key, entry);
    }
    sources.register(merged, mergedEntries);
    return { value: merged, entry: site };
  };

  const follow = (ref: string, site: Entry, chain: readonly string[], path: PathStep[]): Found => {
    const where = formatPath(path);
    if (chain.includes(ref)) {
      const members = chain.slice(chain.indexOf(ref));
      const key = [...members].sort().join('\u0000');
      if (reportedCycles.has(key)) return { value: null, entry: site };
      reportedCycles.add(key);
      const cycle = [...members, ref].join(' → ');
      issues.push({
        path: where,
        ...site.at,
        message: `$ref cycle: ${cycle}; a reference cannot contain itself`,
      });
      return { value: null, entry: site };
    }
    const result = lookup(document, ref.slice(2), sources);
    if (result.found === undefined) {
      const missing = result.missing;
      let message = `$ref "${ref}" points to nothing`;
      if (missing !== undefined) {
        const hint = closest(missing.key, missing.available);
        message += `: ${missing.at} has no key "${missing.key}"`;
        if (hint.length > 0) message += ` (did you mean ${hint.map((h) => `"${h}"`).join(' or ')}?)`;
      }
      if (chain.length > 0) message += ` (reached through ${chain.join(' → ')})`;
      issues.push({ path: where, ...site.at, message });
      return { value: null, entry: site };
    }
    const target = resolve(result.found.value, result.found.entry, [...chain, ref], path);
    // The value now lives where the definition was written; remember the site that pulled it in.
    return {
      value: target.value,
      entry: { at: target.entry.at, via: [site.at, ...(target.entry.via ?? [])] },
    };
  };

  return resolve(document, rootEntry, [], []).value;
}
