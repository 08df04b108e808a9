// The manifest corpus (../shared/corpus/airbyte-manifests, one directory per connector) and what
// every step does with one manifest first: load it, point a copy at a mock, generate its config.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { isObject, type JsonObject } from './manifest-model.js';

export interface CorpusEntry {
  name: string;
  manifestPath: string;
}

export function listCorpus(dir: string): CorpusEntry[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .sort()
    .map((name) => ({ name, manifestPath: join(dir, name, 'manifest.yaml') }))
    .filter((entry) => existsSync(entry.manifestPath));
}

/**
 * Parses a manifest the way the reference's YAML 1.1 loader reads it (`yes`/`on` are booleans),
 * except that unquoted dates stay strings: the rewritten copy is JSON, which has no date type.
 */
export function readManifest(path: string): JsonObject {
  const parsed: unknown = parse(readFileSync(path, 'utf8'), {
    version: '1.1',
    maxAliasCount: -1,
    // PyYAML keeps the last of duplicate keys; some corpus manifests have them
    uniqueKeys: false,
    customTags: (tags) =>
      tags.filter((tag) => typeof tag === 'object' && tag.tag !== 'tag:yaml.org,2002:timestamp'),
  });
  if (!isObject(parsed)) throw new Error(`${path} does not hold a YAML mapping`);
  return parsed;
}

/** Runs `task` over `items`, at most `limit` at a time, keeping the input order in the results. */
export async function inPool<T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
