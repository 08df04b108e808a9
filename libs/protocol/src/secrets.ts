// Secret masking. A secret can leak in many spellings: as typed, JSON-escaped inside a larger
// JSON document, URL-encoded in a query string, or base64 inside a Basic auth header. The masker
// knows all of them and replaces every occurrence with `****`.

import type { JsonObject } from './messages.js';

export const MASK = '****';

function variants(secret: string): string[] {
  const out = new Set<string>([secret]);
  out.add(JSON.stringify(secret).slice(1, -1));
  out.add(encodeURIComponent(secret));
  out.add(encodeURIComponent(secret).replace(/%20/g, '+'));
  const b64 = Buffer.from(secret, 'utf8').toString('base64');
  out.add(b64);
  out.add(b64.replace(/=+$/, ''));
  // inside a longer base64 text (Basic auth encodes "user:secret"), the secret starts at any of three
  // byte offsets; the characters that depend only on the secret's own bytes are the same every time
  for (const shift of [1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret, 'utf8')]).toString('base64');
    const bare = encoded.replace(/=+$/, '');
    // skip the characters that mix the leading bytes in, and the last one (it mixes what follows)
    const inner = bare.slice(Math.ceil((shift * 8) / 6), bare.length - 1);
    if (inner.length >= 8) out.add(inner);
  }
  return [...out].filter((v) => v.length >= 3);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class SecretMasker {
  private pattern: RegExp | undefined;
  private readonly secrets = new Set<string>();

  constructor(secrets: Iterable<string> = []) {
    this.add(secrets);
  }

  add(secrets: Iterable<string>): void {
    for (const s of secrets) if (typeof s === 'string' && s.length >= 3) this.secrets.add(s);
    const all = [...this.secrets].flatMap(variants).sort((a, b) => b.length - a.length);
    this.pattern = all.length > 0 ? new RegExp(all.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  get size(): number {
    return this.secrets.size;
  }

  mask(text: string): string {
    return this.pattern ? text.replace(this.pattern, MASK) : text;
  }
}

/**
 * The values of a config that its spec marks secret (`airbyte_secret: true`), at any depth,
 * including inside `oneOf`/`anyOf`/`allOf` alternatives and arrays.
 */
export function secretValues(spec: JsonObject, config: unknown): string[] {
  const found: string[] = [];
  walk(spec, config, found);
  return found;
}

function walk(schema: unknown, value: unknown, found: string[]): void {
  if (schema === null || typeof schema !== 'object' || value === undefined || value === null) return;
  const s = schema as Record<string, unknown>;
  if (s.airbyte_secret === true || s.secret === true) {
    collect(value, found);
    return;
  }
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    const alts = s[key];
    if (Array.isArray(alts)) for (const alt of alts) walk(alt, value, found);
  }
  if (Array.isArray(value)) {
    for (const item of value) walk(s.items, item, found);
    return;
  }
  if (typeof value === 'object' && s.properties && typeof s.properties === 'object') {
    const props = s.properties as Record<string, unknown>;
    const obj = value as Record<string, unknown>;
    for (const [k, sub] of Object.entries(props)) walk(sub, obj[k], found);
  }
}

function collect(value: unknown, found: string[]): void {
  if (typeof value === 'string') found.push(value);
  else if (typeof value === 'number') found.push(String(value));
  else if (Array.isArray(value)) for (const v of value) collect(v, found);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) collect(v, found);
}
