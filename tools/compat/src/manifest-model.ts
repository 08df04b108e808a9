// A read-only view of a manifest for the harness: `$ref`s resolved and `$parameters` pushed down, so
// the mock and the config generator can look at each stream's requester, selector and paginator.
// This is not an engine: it is only as exact as planning mock responses needs, and a mistake here
// makes a response less useful, never a comparison unfair (both engines get the same mock).

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function loadManifest(path: string): JsonObject {
  const parsed: unknown = parse(readFileSync(path, 'utf8'), { maxAliasCount: -1, uniqueKeys: false });
  if (!isObject(parsed)) throw new Error(`${path} does not hold a YAML mapping`);
  return parsed;
}

function lookupPointer(root: JsonObject, pointer: string): Json | undefined {
  const parts = pointer.replace(/^#\/?/, '').split('/').filter(Boolean);
  let node: Json | undefined = root;
  for (const part of parts) {
    if (!isObject(node)) return undefined;
    node = node[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
}

/** `$ref` resolved the way the format defines it: the referenced mapping, overridden by local keys. */
export function resolveRefs(root: JsonObject): JsonObject {
  const visit = (node: Json, seen: ReadonlySet<string>): Json => {
    if (Array.isArray(node)) return node.map((item) => visit(item, seen));
    if (typeof node === 'string' && node.startsWith('#/')) {
      if (seen.has(node)) return node;
      const target = lookupPointer(root, node);
      return target === undefined ? node : visit(target, new Set([...seen, node]));
    }
    if (!isObject(node)) return node;
    const local: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      if (key !== '$ref') local[key] = visit(value, seen);
    }
    const ref = node.$ref;
    if (typeof ref !== 'string' || seen.has(ref)) return local;
    const target = lookupPointer(root, ref);
    if (target === undefined) return local;
    const resolved = visit(target, new Set([...seen, ref]));
    return isObject(resolved) ? { ...resolved, ...local } : resolved;
  };
  const out = visit(root, new Set());
  return isObject(out) ? out : {};
}

const PARAMETER_EXPRESSION = /\{\{\s*parameters(?:\.(\w+)|\[\s*['"]([^'"]+)['"]\s*\])\s*\}\}/g;

/** Replaces `{{ parameters.x }}` by the value in scope (the only templates the planner evaluates). */
export function substituteParameters(text: string, parameters: JsonObject): string {
  return text.replace(
    PARAMETER_EXPRESSION,
    (whole, dotted: string | undefined, quoted: string | undefined) => {
      const value = parameters[(dotted ?? quoted)!];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : whole;
    },
  );
}

/**
 * Pushes `$parameters` down the tree (a component's own win over its parent's; a stream's `name`
 * is a parameter of everything under it) and substitutes them into string values.
 */
export function applyParameters(node: Json, inherited: JsonObject = {}): Json {
  if (typeof node === 'string') return substituteParameters(node, inherited);
  if (Array.isArray(node)) return node.map((item) => applyParameters(item, inherited));
  if (!isObject(node)) return node;
  let scope = inherited;
  const own = node.$parameters;
  if (isObject(own) || (node.type === 'DeclarativeStream' && typeof node.name === 'string')) {
    scope = { ...inherited, ...(isObject(own) ? own : {}) };
    if (node.type === 'DeclarativeStream' && typeof node.name === 'string') scope.name = node.name;
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] = key === '$parameters' ? value : applyParameters(value, scope);
  }
  // like the format, a parameter also fills a component's field of the same name when it is unset
  if (typeof node.type === 'string' && /^[A-Z]/.test(node.type)) {
    for (const [key, value] of Object.entries(scope)) {
      if (!(key in out) && typeof value !== 'object' && key !== 'type') out[key] = value;
    }
  }
  return out;
}

/** Every mapping in the tree, depth first, with the key it sits under. */
export function* walkObjects(node: Json, key = ''): Generator<{ key: string; node: JsonObject }> {
  if (Array.isArray(node)) {
    for (const item of node) yield* walkObjects(item, key);
  } else if (isObject(node)) {
    yield { key, node };
    for (const [childKey, child] of Object.entries(node)) yield* walkObjects(child, childKey);
  }
}

/**
 * Component types whose implementation lives in Python code next to the manifest: `Custom*` types
 * with a `class_name`, and components with a `class_name` and no type (which the reference builds
 * as custom ones; listed by the key that holds them, e.g. `authenticator`).
 */
export function customComponents(manifest: JsonObject): string[] {
  const found = new Set<string>();
  for (const { key, node } of walkObjects(manifest)) {
    if (typeof node.class_name !== 'string') continue;
    if (typeof node.type === 'string' && node.type.startsWith('Custom')) found.add(node.type);
    else if (node.type === undefined) found.add(`${key} (class_name)`);
  }
  return [...found].sort();
}
