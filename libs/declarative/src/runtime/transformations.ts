// Record transformations a manifest lists: add fields (templated values, optional condition),
// remove fields (paths with `*`), rename keys (lower case, snake case, replace), flatten.
// Each returns the transformed record; the input may be reused.

import { configError } from '@conveyor/protocol';
import { type Config, Interpolated, InterpolatedCondition } from './interpolated.js';
import type { Mapping } from './slice.js';

export interface Transformation {
  apply(record: Mapping, config: Config, scope: Mapping): Mapping;
}

function isMapping(v: unknown): v is Mapping {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Sets `value` at `path`, creating mappings on the way (as dpath.new does). */
export function setAt(record: Mapping, path: string[], value: unknown): void {
  let node: Mapping = record;
  for (const key of path.slice(0, -1)) {
    if (!isMapping(node[key])) node[key] = {};
    node = node[key] as Mapping;
  }
  node[path.at(-1)!] = value;
}

/** An added field's `value_type` as the template evaluator names it. */
export const VALUE_TYPES: Record<string, 'str' | 'int' | 'float' | 'bool'> = {
  string: 'str',
  integer: 'int',
  number: 'float',
  boolean: 'bool',
};

function addFields(model: Mapping, parameters: Mapping): Transformation {
  const fields = ((model.fields as Mapping[]) ?? []).map((f) => ({
    path: (f.path as unknown[]).map((p) => Interpolated.of(p, parameters)),
    value: Interpolated.of(f.value, { ...parameters, ...((f.$parameters as Mapping) ?? {}) }),
    valueType: typeof f.value_type === 'string' ? VALUE_TYPES[f.value_type] : undefined,
  }));
  const condition = model.condition ? InterpolatedCondition.of(model.condition, parameters) : undefined;
  return {
    apply(record, config, scope) {
      const vars = { ...scope, record };
      for (const field of fields) {
        const value = field.value.eval(
          config,
          vars,
          field.valueType ? { validTypes: [field.valueType] } : undefined,
        );
        if (condition && !condition.eval(config, { ...vars, value })) continue;
        setAt(
          record,
          field.path.map((p) => p.evalString(config, vars)),
          value,
        );
      }
      return record;
    },
  };
}

export function removeAt(node: unknown, path: string[], keep: (value: unknown) => boolean): void {
  if (path.length === 0 || !(isMapping(node) || Array.isArray(node))) return;
  const [key, ...rest] = path as [string, ...string[]];
  const keys = key === '*' ? Object.keys(node) : [key];
  for (const k of keys) {
    if (!Object.hasOwn(node, k)) continue;
    const child = (node as Mapping)[k];
    if (rest.length === 0) {
      if (keep(child)) continue;
      if (Array.isArray(node)) node.splice(Number(k), 1);
      else delete (node as Mapping)[k];
    } else removeAt(child, rest, keep);
  }
}

function removeFields(model: Mapping, parameters: Mapping): Transformation {
  const pointers = ((model.field_pointers as unknown[][]) ?? []).map((p) => p.map(String));
  const condition = model.condition ? InterpolatedCondition.of(model.condition, parameters) : undefined;
  return {
    apply(record, config, scope) {
      for (const pointer of pointers) {
        removeAt(record, pointer, (value) =>
          condition ? !condition.eval(config, { ...scope, property: value }) : false,
        );
      }
      return record;
    },
  };
}

function mapKeys(record: Mapping, rename: (key: string) => string, deep: boolean): Mapping {
  const out: Mapping = {};
  for (const [key, value] of Object.entries(record)) {
    out[rename(key)] = deep && isMapping(value) ? mapKeys(value, rename, deep) : value;
  }
  return out;
}

const SNAKE_TOKENS = /[A-Z]+[a-z]*|[a-z]+|\d+|([^a-zA-Z\d]+)/g;

/** The reference's snake_case: ASCII-folded, split into word/number tokens, inner separators dropped. */
export function snakeCase(key: string): string {
  const ascii = key.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  let tokens: string[] = [];
  for (const match of ascii.matchAll(SNAKE_TOKENS)) tokens.push(match[1] === undefined ? match[0] : '');
  if (tokens.length >= 3)
    tokens = [tokens[0]!, ...tokens.slice(1, -1).filter((t) => t !== ''), tokens.at(-1)!];
  if (tokens.length > 0 && /^\d+$/.test(tokens[0]!)) tokens.unshift('');
  return tokens.map((t) => t.toLowerCase()).join('_');
}

function flatten(record: Mapping, flattenLists: boolean): Mapping {
  const out: Mapping = {};
  const stack: [unknown, string][] = [[record, '_']];
  let withParent = false;
  while (stack.length > 0) {
    const [node, parentKey] = stack.pop()!;
    if (isMapping(node)) {
      for (const [key, value] of Object.entries(node)) {
        stack.push([value, key in out || withParent ? `${parentKey}.${key}` : key]);
      }
    } else if (Array.isArray(node) && flattenLists) {
      node.forEach((item, i) => {
        withParent = true;
        stack.push([item, `${parentKey}.${i}`]);
      });
    } else out[parentKey] = node;
  }
  return out;
}

function dpathFlatten(model: Mapping, parameters: Mapping): Transformation {
  const path = ((model.field_path as unknown[]) ?? []).map((p) => Interpolated.of(p, parameters));
  const deleteOrigin = model.delete_origin_value === true;
  const replaceRecord = model.replace_record === true;
  return {
    apply(record, config) {
      const keys = path.map((p) => p.evalString(config));
      let node: unknown = record;
      for (const k of keys) node = isMapping(node) ? node[k] : undefined;
      if (!isMapping(node)) return record;
      if (replaceRecord) return { ...node };
      if (deleteOrigin) {
        let parent: unknown = record;
        for (const k of keys.slice(0, -1)) parent = isMapping(parent) ? parent[k] : undefined;
        if (isMapping(parent)) delete parent[keys.at(-1)!];
      }
      for (const [k, v] of Object.entries(node)) if (!(k in record)) record[k] = v;
      return record;
    },
  };
}

function keysReplace(model: Mapping, parameters: Mapping): Transformation {
  const oldText = Interpolated.of(model.old, parameters);
  const newText = Interpolated.of(model.new, parameters);
  return {
    apply(record, config, scope) {
      return mapKeys(
        record,
        (key) =>
          key.replaceAll(
            oldText.evalString(config, { ...scope, record }),
            newText.evalString(config, { ...scope, record }),
          ),
        true,
      );
    },
  };
}

export function transformationFrom(model: Mapping, parameters: Mapping): Transformation {
  switch (model.type) {
    case 'AddFields':
      return addFields(model, parameters);
    case 'RemoveFields':
      return removeFields(model, parameters);
    case 'KeysToLower':
      return { apply: (record) => mapKeys(record, (k) => k.toLowerCase(), false) };
    case 'KeysToSnakeCase':
      return { apply: (record) => mapKeys(record, snakeCase, true) };
    case 'FlattenFields':
      return { apply: (record) => flatten(record, model.flatten_lists !== false) };
    case 'DpathFlattenFields':
      return dpathFlatten(model, parameters);
    case 'KeysReplace':
      return keysReplace(model, parameters);
    default:
      throw configError(
        `The transformation "${String(model.type)}" is not supported. Supported: AddFields, RemoveFields, KeysToLower, KeysToSnakeCase, FlattenFields, DpathFlattenFields, KeysReplace.`,
      );
  }
}
