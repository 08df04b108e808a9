// Fake records shaped by a stream's JSON schema, a pure function of a seed string: the same request
// always gets the same records, whichever engine sends it and in whatever order.

import { createHash } from 'node:crypto';
import { isObject, type Json, type JsonObject } from './manifest-model.js';

/** A small deterministic generator (mulberry32) seeded from a string. */
export class SeededRandom {
  private state: number;

  constructor(seed: string) {
    this.state = createHash('sha1').update(seed).digest().readUInt32LE(0);
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(max: number): number {
    return Math.floor(this.next() * max);
  }

  word(): string {
    return this.int(36 ** 6)
      .toString(36)
      .padStart(6, '0');
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** Python-style `strftime` for the directives datetime formats in manifests use (UTC only). */
export function formatDatetime(date: Date, format: string): string {
  return format.replace(/%(ms|[a-zA-Z%])/g, (_whole, directive: string) => {
    switch (directive) {
      case 'Y':
        return String(date.getUTCFullYear());
      case 'y':
        return pad(date.getUTCFullYear() % 100);
      case 'm':
        return pad(date.getUTCMonth() + 1);
      case 'd':
        return pad(date.getUTCDate());
      case 'H':
        return pad(date.getUTCHours());
      case 'M':
        return pad(date.getUTCMinutes());
      case 'S':
        return pad(date.getUTCSeconds());
      case 'f':
        return pad(date.getUTCMilliseconds() * 1000, 6);
      case 'z':
        return '+0000';
      case 'Z':
        return 'UTC';
      case 's':
        return String(Math.floor(date.getTime() / 1000));
      case 'ms':
        return String(date.getTime());
      case 'b':
        return MONTHS[date.getUTCMonth()]!;
      case 'a':
        return DAYS[date.getUTCDay()]!;
      case 'j':
        return pad(Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3);
      case '%':
        return '%';
      default:
        return `%${directive}`;
    }
  });
}

export interface RecordShape {
  schema: JsonObject | undefined;
  /** top-level field -> the value it must hold (cursor fields formatted as the cursor parses them) */
  fixed: Record<string, Json>;
  /** when the record date goes into a date-time field without a fixed format */
  recordDate: Date;
  /** nested paths the stream's templates read: each is present in every record */
  readPaths?: string[][];
}

/** Makes `path` present in `record`, keeping what is there when it is already reachable. */
function ensurePath(record: JsonObject, path: readonly string[], random: SeededRandom): void {
  let node = record;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i]!;
    const next = node[key];
    if (isObject(next)) node = next;
    else {
      const created: JsonObject = {};
      node[key] = created;
      node = created;
    }
  }
  const leaf = path[path.length - 1]!;
  if (!(leaf in node) || node[leaf] === null) node[leaf] = `${leaf}-${random.word()}`;
}

function firstType(schema: JsonObject): string {
  const type = schema.type;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) {
    const named = type.find((t) => typeof t === 'string' && t !== 'null');
    return typeof named === 'string' ? named : 'null';
  }
  if (isObject(schema.properties)) return 'object';
  const variants = Array.isArray(schema.anyOf)
    ? schema.anyOf
    : Array.isArray(schema.oneOf)
      ? schema.oneOf
      : [];
  const first = variants.find((v) => isObject(v) && firstType(v) !== 'null');
  return isObject(first) ? firstType(first) : 'string';
}

function fakeValue(name: string, schema: JsonObject, random: SeededRandom, date: Date, depth: number): Json {
  const type = firstType(schema);
  switch (type) {
    case 'integer':
      return 1 + random.int(1_000_000);
    case 'number':
      return (1 + random.int(1_000_000)) / 100;
    case 'boolean':
      return random.int(2) === 1;
    case 'null':
      return null;
    case 'array': {
      if (depth >= 3) return [];
      const items = isObject(schema.items) ? schema.items : { type: 'string' };
      return [fakeValue(name, items, random, date, depth + 1)];
    }
    case 'object': {
      if (depth >= 3 || !isObject(schema.properties)) return {};
      const out: JsonObject = {};
      for (const [key, property] of Object.entries(schema.properties)) {
        if (isObject(property)) out[key] = fakeValue(key, property, random, date, depth + 1);
      }
      return out;
    }
    default: {
      if (Array.isArray(schema.enum) && schema.enum.length > 0)
        return schema.enum[random.int(schema.enum.length)] ?? null;
      if (schema.format === 'date-time') return date.toISOString().replace('.000Z', 'Z');
      if (schema.format === 'date') return date.toISOString().slice(0, 10);
      return `${name}-${random.word()}`;
    }
  }
}

/** `count` records for one response; `seed` identifies the response (its request, normalized). */
export function fakeRecords(shape: RecordShape, seed: string, count: number): JsonObject[] {
  const records: JsonObject[] = [];
  const schema = shape.schema && isObject(shape.schema.properties) ? shape.schema : undefined;
  for (let index = 0; index < count; index++) {
    const random = new SeededRandom(`${seed}#${index}`);
    const record: JsonObject = {};
    if (schema) {
      for (const [key, property] of Object.entries(schema.properties as JsonObject)) {
        if (isObject(property)) record[key] = fakeValue(key, property, random, shape.recordDate, 1);
      }
    }
    // Never an empty record: the reference (airbyte-cdk 7.39.1) ends its whole read, with exit 0,
    // at the first record whose data is empty (its queue loop stops at a falsy item), which would
    // measure that bug instead of the manifest.
    if (Object.keys(record).length === 0) {
      record.id = 1 + random.int(1_000_000);
      record.name = `name-${random.word()}`;
    }
    for (const path of shape.readPaths ?? []) ensurePath(record, path, random);
    Object.assign(record, shape.fixed);
    records.push(record);
  }
  return records;
}
