// The verdict on one manifest: identical, different (the first of catalog / requests / records that
// differs, with a short diff) or failed (which engine, why). Order carries no meaning (the reference
// reads streams concurrently): records are compared as multisets, requests as sets of distinct
// requests, because the reference caches parent-stream responses and whether a concurrent repeat
// hits that cache depends on timing, so even the reference against itself repeats a request a
// varying number of times.

import { canonicalJson } from './normalize.js';

export interface RunResult {
  /** false when the engine exited non-zero, timed out or emitted an error trace */
  ok: boolean;
  error?: string;
  /** the discovered streams (AirbyteStream objects) */
  catalog?: unknown[];
  /** stream name -> canonical JSON of each record's data */
  records: Record<string, string[]>;
  /** canonical text of each request the engine sent to the mock */
  requests: string[];
}

export type Verdict =
  /** how many records and distinct requests agreed (an identical read of nothing proves little) */
  | { status: 'identical'; records: number; requests: number }
  | { status: 'different'; what: 'catalog' | 'requests' | 'records'; detail: string }
  | { status: 'failed'; engine: 'reference' | 'ours'; reason: string };

export interface MultisetDiff {
  /** in the reference only (with how many times more) */
  missing: [string, number][];
  /** in ours only */
  extra: [string, number][];
}

export function multisetDiff(reference: readonly string[], ours: readonly string[]): MultisetDiff {
  const counts = new Map<string, number>();
  for (const item of reference) counts.set(item, (counts.get(item) ?? 0) + 1);
  for (const item of ours) counts.set(item, (counts.get(item) ?? 0) - 1);
  const missing: [string, number][] = [];
  const extra: [string, number][] = [];
  for (const [item, count] of [...counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    if (count > 0) missing.push([item, count]);
    if (count < 0) extra.push([item, -count]);
  }
  return { missing, extra };
}

const clip = (text: string, max = 240): string => (text.length > max ? `${text.slice(0, max)}...` : text);

function describe(diff: MultisetDiff, referenceCount: number, oursCount: number): string {
  const parts = [`reference ${referenceCount}, ours ${oursCount}`];
  const [missing] = diff.missing;
  const [extra] = diff.extra;
  if (missing) parts.push(`only in reference (${diff.missing.length} distinct): ${clip(missing[0])}`);
  if (extra) parts.push(`only in ours (${diff.extra.length} distinct): ${clip(extra[0])}`);
  if (missing && extra) {
    const fields = differingFields(missing[0], extra[0]);
    if (fields) parts.unshift(`first difference at ${fields}`);
  }
  return parts.join('; ');
}

/** The keys where two JSON objects differ, with both values: what a reader needs to find the cause. */
function differingFields(reference: string, ours: string): string | undefined {
  let a: unknown;
  let b: unknown;
  try {
    a = JSON.parse(reference);
    b = JSON.parse(ours);
  } catch {
    return undefined;
  }
  if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return undefined;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const diffs = keys
    .filter(
      (k) =>
        canonicalJson((a as Record<string, unknown>)[k]) !== canonicalJson((b as Record<string, unknown>)[k]),
    )
    .slice(0, 3)
    .map(
      (k) =>
        `${k}: reference ${clip(canonicalJson((a as Record<string, unknown>)[k]) ?? 'absent', 80)} / ours ${clip(canonicalJson((b as Record<string, unknown>)[k]) ?? 'absent', 80)}`,
    );
  return diffs.length > 0 ? diffs.join(', ') : undefined;
}

/** Streams sorted by name, so the catalog compares regardless of order. */
export function canonicalCatalog(streams: readonly unknown[]): string {
  const named = streams.map((s) => ({
    key: String((s as { name?: unknown }).name ?? ''),
    text: canonicalJson(s),
  }));
  return `[${named
    .sort((a, b) => a.key.localeCompare(b.key))
    .map((s) => s.text)
    .join(',')}]`;
}

export function compareRuns(reference: RunResult, ours: RunResult): Verdict {
  if (!reference.ok) return { status: 'failed', engine: 'reference', reason: reference.error ?? 'failed' };
  if (!ours.ok) return { status: 'failed', engine: 'ours', reason: ours.error ?? 'failed' };
  const referenceCatalog = canonicalCatalog(reference.catalog ?? []);
  const oursCatalog = canonicalCatalog(ours.catalog ?? []);
  if (referenceCatalog !== oursCatalog) {
    const diff = multisetDiff(
      (reference.catalog ?? []).map((s) => canonicalJson(s)),
      (ours.catalog ?? []).map((s) => canonicalJson(s)),
    );
    return {
      status: 'different',
      what: 'catalog',
      detail: describe(diff, reference.catalog?.length ?? 0, ours.catalog?.length ?? 0),
    };
  }
  const requests = multisetDiff([...new Set(reference.requests)], [...new Set(ours.requests)]);
  if (requests.missing.length > 0 || requests.extra.length > 0) {
    return {
      status: 'different',
      what: 'requests',
      detail: describe(requests, new Set(reference.requests).size, new Set(ours.requests).size),
    };
  }
  const streams = [...new Set([...Object.keys(reference.records), ...Object.keys(ours.records)])].sort();
  for (const stream of streams) {
    const referenceRecords = reference.records[stream] ?? [];
    const oursRecords = ours.records[stream] ?? [];
    const diff = multisetDiff(referenceRecords, oursRecords);
    if (diff.missing.length > 0 || diff.extra.length > 0) {
      return {
        status: 'different',
        what: 'records',
        detail: `stream ${stream}: ${describe(diff, referenceRecords.length, oursRecords.length)}`,
      };
    }
  }
  return {
    status: 'identical',
    records: streams.reduce((sum, stream) => sum + (ours.records[stream]?.length ?? 0), 0),
    requests: new Set(ours.requests).size,
  };
}

/** A reason without the parts that vary between manifests (numbers, quoted names), for grouping. */
export function reasonGroup(reason: string): string {
  return clip(
    reason
      .split('\n')[0]!
      .replace(/'[^']*'|"[^"]*"/g, '…')
      .replace(/\d+/g, 'N'),
    120,
  );
}
