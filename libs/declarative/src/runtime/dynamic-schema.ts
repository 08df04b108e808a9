// DynamicSchemaLoader: a stream's JSON schema built from an API's description of its fields (the
// first record its retriever reads, on the first page of an empty slice, as the reference reads it).
// Each field definition under `schema_pointer` gives a name (`key_pointer`) and a type
// (`type_pointer`, "string" when absent), which `types_mapping` may replace (under a condition that
// sees the definition as `raw_schema`); the type becomes the Airbyte type's JSON schema, a pair of
// types a oneOf, a ComplexFieldType an array with typed items. `schema_filter` then keeps some
// fields and `schema_transformations` reshape the properties as if they were a record.

import { systemError } from '@conveyor/protocol';
import { type Config, Interpolated, InterpolatedCondition } from './interpolated.js';
import { RecordFilter } from './records.js';
import { EMPTY_SLICE, type Mapping } from './slice.js';
import type { DeclarativeStreamRuntime } from './stream.js';
import { transformationFrom } from './transformations.js';

const AIRBYTE_TYPES: Record<string, Mapping> = {
  string: { type: ['null', 'string'] },
  boolean: { type: ['null', 'boolean'] },
  date: { type: ['null', 'string'], format: 'date' },
  timestamp_without_timezone: {
    type: ['null', 'string'],
    format: 'date-time',
    airbyte_type: 'timestamp_without_timezone',
  },
  timestamp_with_timezone: { type: ['null', 'string'], format: 'date-time' },
  time_without_timezone: { type: ['null', 'string'], format: 'time', airbyte_type: 'time_without_timezone' },
  time_with_timezone: { type: ['null', 'string'], format: 'time', airbyte_type: 'time_with_timezone' },
  integer: { type: ['null', 'integer'] },
  number: { type: ['null', 'number'] },
  array: { type: ['null', 'array'] },
  object: { type: ['null', 'object'] },
};

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** dpath.get with a default: the value at `path`, or `fallback` when a key is missing. */
function valueAt(body: unknown, path: string[], fallback: unknown): unknown {
  let node = body;
  for (const key of path) {
    if (Array.isArray(node) && /^\d+$/.test(key) && Number(key) < node.length) node = node[Number(key)];
    else if (isMapping(node) && Object.hasOwn(node, key)) node = node[key];
    else return fallback;
  }
  return node;
}

export interface DynamicSchemaContext {
  stream: string;
  config: Config;
  /** a runtime stream over the loader's retriever */
  retriever: (model: Mapping) => DeclarativeStreamRuntime;
  signal: AbortSignal;
}

export async function loadDynamicSchema(
  loader: Mapping,
  parameters: Mapping,
  ctx: DynamicSchemaContext,
): Promise<Mapping> {
  const { config } = ctx;
  const identifier = isMapping(loader.schema_type_identifier) ? loader.schema_type_identifier : {};
  const ip = { ...parameters, ...((identifier.$parameters as Mapping) ?? {}) };
  const pointer = (value: unknown) =>
    (Array.isArray(value) ? value : []).map((segment) => Interpolated.of(segment, ip).evalString(config));
  const reader = ctx.retriever({
    type: 'DeclarativeStream',
    name: `${ctx.stream} (schema)`,
    retriever: loader.retriever,
    schema_loader: { type: 'InlineSchemaLoader', schema: {} },
    $parameters: parameters,
  });
  let first: Mapping | undefined;
  for await (const page of reader.readSlice(config, EMPTY_SLICE, ctx.signal)) {
    first = page.records[0];
    if (first) break;
  }
  const fieldsPath = pointer(identifier.schema_pointer);
  const rawSchema =
    first === undefined ? [] : fieldsPath.length === 0 ? first : valueAt(first, fieldsPath, undefined);
  const keyPath = pointer(identifier.key_pointer);
  const typePath = identifier.type_pointer === undefined ? undefined : pointer(identifier.type_pointer);
  const mappings = (Array.isArray(identifier.types_mapping) ? identifier.types_mapping : [])
    .filter(isMapping)
    .map((m) => ({
      current: m.current_type,
      target: m.target_type,
      condition: InterpolatedCondition.of(typeof m.condition === 'string' ? m.condition : 'True', {}),
    }));

  const airbyteType = (name: unknown): Mapping => {
    const known = typeof name === 'string' ? AIRBYTE_TYPES[name] : undefined;
    if (!known)
      throw systemError(
        `Stream "${ctx.stream}": the API described a field with the type ${JSON.stringify(name)}, which is not an Airbyte type (${Object.keys(AIRBYTE_TYPES).join(', ')}). Map it with the schema loader's types_mapping.`,
      );
    return structuredClone(known);
  };
  const complex = (type: Mapping): Mapping => {
    const out = airbyteType(type.field_type);
    if (type.items !== undefined && type.items !== null)
      out.items = isMapping(type.items) ? complex(type.items) : airbyteType(type.items);
    return out;
  };

  const properties: Mapping = {};
  for (const definition of Array.isArray(rawSchema) ? rawSchema : []) {
    const key = valueAt(definition, keyPath, undefined);
    if (typeof key !== 'string')
      throw systemError(
        `Stream "${ctx.stream}": a field the API described has no string name at ${keyPath.join('.')} (got ${JSON.stringify(key)}).`,
      );
    let type: unknown = typePath ? valueAt(definition, typePath, 'string') : 'string';
    for (const m of mappings) {
      if (
        JSON.stringify(type) === JSON.stringify(m.current) &&
        m.condition.eval(config, { raw_schema: definition })
      ) {
        type = m.target;
        break;
      }
    }
    if (Array.isArray(type) && type.length === 2 && type.every((t) => typeof t === 'string'))
      properties[key] = { oneOf: [airbyteType(type[0]), airbyteType(type[1])] };
    else if (typeof type === 'string') properties[key] = airbyteType(type);
    else if (isMapping(type)) properties[key] = complex(type);
    else
      throw systemError(
        `Stream "${ctx.stream}": the type of field "${key}" is ${JSON.stringify(type)}; expected a type name or a pair of them.`,
      );
  }

  let kept = properties;
  const filter = isMapping(loader.schema_filter) ? loader.schema_filter : undefined;
  if (filter?.condition !== undefined) {
    const recordFilter = new RecordFilter(filter.condition, {
      ...parameters,
      ...((filter.$parameters as Mapping) ?? {}),
    });
    kept = {};
    for (const [name, value] of Object.entries(properties)) {
      if (recordFilter.keep({ [name]: value }, config, {})) kept[name] = value;
    }
  }
  for (const model of Array.isArray(loader.schema_transformations) ? loader.schema_transformations : []) {
    if (!isMapping(model)) continue;
    kept = transformationFrom(model, { ...parameters, ...((model.$parameters as Mapping) ?? {}) }).apply(
      kept,
      config,
      {},
    );
  }
  return {
    $schema: 'https://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: true,
    properties: kept,
  };
}
