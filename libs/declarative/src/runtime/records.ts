// From decoded bodies to records: the extractor (a path into the body, `*` fanning out), the
// filter (a condition per record), the transformations, and the schema normalization the
// manifest asks for, in the order the reference applies them.

import { configError } from '@conveyor/protocol';
import { pythonStr } from '../interpolation/index.js';
import { type Config, Interpolated, InterpolatedCondition } from './interpolated.js';
import type { Mapping } from './slice.js';
import type { Transformation } from './transformations.js';

/** Walks `path` into `body`; `*` matches every key of a mapping or item of a list. */
export function valuesAt(body: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [body];
  for (const key of path) {
    const next: unknown[] = [];
    for (const node of current) {
      if (key === '*') {
        if (Array.isArray(node)) next.push(...node);
        else if (node !== null && typeof node === 'object') next.push(...Object.values(node));
      } else if (Array.isArray(node)) {
        const index = /^-?\d+$/.test(key) ? Number(key) : Number.NaN;
        if (Number.isInteger(index) && index >= 0 && index < node.length) next.push(node[index]);
      } else if (node !== null && typeof node === 'object' && Object.hasOwn(node, key)) {
        next.push((node as Mapping)[key]);
      }
    }
    current = next;
  }
  return current;
}

/**
 * Keys an API puts an error under when it answers 200 anyway. A record path missing from an answer
 * is otherwise an empty page (APIs leave out empty lists: JSON:API's `included`, Twitter's
 * `includes`), as in the reference; missing beside one of these keys, it is the error it says.
 */
const ERROR_KEYS = ['error', 'errors', 'fault', 'error_message', 'errorMessage'];

/** The answer holds an error (under `key`) where records were expected. */
export class MissingRecordPath extends Error {
  constructor(
    readonly path: string[],
    readonly key: string,
    readonly value: unknown,
  ) {
    super(`the record path "${path.join('.')}" is not in the answer`);
  }
}

export class DpathExtractor {
  private readonly path: Interpolated[];
  constructor(fieldPath: unknown[], parameters: Mapping) {
    this.path = fieldPath.map((p) => Interpolated.of(p, parameters));
  }

  extract(body: unknown, config: Config): unknown[] {
    let extracted: unknown;
    if (this.path.length === 0) extracted = body;
    else {
      const path = this.path.map((p) => p.evalString(config));
      const found = valuesAt(body, path);
      const first = path[0]!;
      if (found.length === 0 && first !== '*' && isObject(body) && !Object.hasOwn(body, first)) {
        const errorKey = ERROR_KEYS.find((k) => Object.hasOwn(body, k) && truthy(body[k]));
        if (errorKey) throw new MissingRecordPath(path, errorKey, body[errorKey]);
      }
      extracted = path.includes('*') ? found : found.length === 0 ? [] : found[0];
    }
    if (Array.isArray(extracted)) return extracted;
    return truthy(extracted) ? [extracted] : [];
  }
}

function isObject(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

export class RecordFilter {
  private readonly condition: InterpolatedCondition;
  constructor(condition: unknown, parameters: Mapping) {
    this.condition = InterpolatedCondition.of(condition, parameters);
  }
  keep(record: unknown, config: Config, scope: Mapping): boolean {
    return this.condition.eval(config, { ...scope, record });
  }
}

/** JSON Schema type names → does a value have that type (as Python's jsonschema sees JSON values). */
function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    default:
      return true;
  }
}

/** The reference's "Default" normalization: a value whose type is not the schema's is converted when it can be. */
export function normalizeBySchema(value: unknown, schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object') return value;
  const s = schema as Mapping;
  const declared = s.type;
  const types = Array.isArray(declared)
    ? (declared as string[])
    : typeof declared === 'string'
      ? [declared]
      : [];
  if (types.length > 0 && !types.some((t) => hasType(value, t))) {
    const nonNull = types.filter((t) => t !== 'null');
    if (value === null && types.includes('null')) return value;
    if (nonNull.length === 1) return convert(value, nonNull[0]!, s);
    return value;
  }
  if (hasType(value, 'object') && s.properties && typeof s.properties === 'object') {
    const props = s.properties as Mapping;
    const out: Mapping = {};
    for (const [k, v] of Object.entries(value as Mapping))
      out[k] = k in props ? normalizeBySchema(v, props[k]) : v;
    return out;
  }
  if (Array.isArray(value) && s.items && typeof s.items === 'object')
    return value.map((v) => normalizeBySchema(v, s.items));
  return value;
}

function convert(value: unknown, type: string, schema: Mapping): unknown {
  switch (type) {
    case 'string':
      return value === null || value === undefined ? value : pythonStr(value);
    case 'number': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
        return Number(value);
      return value;
    }
    case 'integer': {
      if (typeof value === 'boolean') return value ? 1 : 0;
      if (typeof value === 'number') return Math.trunc(value);
      if (typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value)) return Number(value);
      return value;
    }
    case 'boolean': {
      if (typeof value === 'string') {
        const v = value.toLowerCase();
        if (['y', 'yes', 't', 'true', 'on', '1'].includes(v)) return true;
        if (['n', 'no', 'f', 'false', 'off', '0'].includes(v)) return false;
        return value;
      }
      return truthy(value);
    }
    case 'array': {
      const items = schema.items as Mapping | undefined;
      const simple = ['string', 'number', 'integer', 'boolean', 'null'];
      const itemTypes =
        items?.type === undefined ? [] : Array.isArray(items.type) ? items.type : [items.type];
      if (itemTypes.every((t) => simple.includes(String(t))) && value !== null && typeof value !== 'object')
        return [value];
      return value;
    }
    default:
      return value;
  }
}

export interface SelectorOptions {
  extractor: DpathExtractor;
  filter?: RecordFilter;
  transformations: Transformation[];
  transformBeforeFiltering: boolean;
  normalize: boolean;
  schema: () => Mapping;
}

export class RecordSelector {
  constructor(private readonly options: SelectorOptions) {}

  /** Records extracted from a body before filtering (what page-size checks count). */
  extract(bodies: unknown[], config: Config): unknown[] {
    const out: unknown[] = [];
    for (const body of bodies) {
      for (const record of this.options.extractor.extract(body, config)) out.push(record);
    }
    return out;
  }

  /** `keep` is a further condition applied with the filter (a client-side incremental cursor's range). */
  select(
    extracted: unknown[],
    config: Config,
    scope: Mapping,
    keep?: (record: Mapping) => boolean,
  ): Mapping[] {
    const { filter, transformations, transformBeforeFiltering, normalize } = this.options;
    const schema = normalize ? this.options.schema() : undefined;
    const out: Mapping[] = [];
    for (const raw of extracted) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
        throw configError(
          `The record selector found ${Array.isArray(raw) ? 'a list' : typeof raw} where a record (an object) was expected. Check the extractor's field_path.`,
        );
      }
      let record = raw as Mapping;
      if (transformBeforeFiltering) record = applyAll(transformations, record, config, scope);
      if (keep && !keep(record)) continue;
      if (filter && !filter.keep(record, config, scope)) continue;
      if (!transformBeforeFiltering) record = applyAll(transformations, record, config, scope);
      out.push(schema ? (normalizeBySchema(record, schema) as Mapping) : record);
    }
    return out;
  }
}

function applyAll(
  transformations: Transformation[],
  record: Mapping,
  config: Config,
  scope: Mapping,
): Mapping {
  let current = record;
  for (const t of transformations) current = t.apply(current, config, scope);
  return current;
}
