// `dynamic_streams`: streams built at run time from a template. A components resolver gives one set
// of values per stream (the records an HTTP retriever reads, entries of the config, or a list in the
// manifest); each ComponentMappingDefinition writes a templated value into a copy of the template
// at a path; `$parameters` are then handed down again, the parent's winning by default. As the
// reference: an HTTP resolver only replaces paths the template has; the config and parametrized
// resolvers read a string value as YAML (`"[a, b]"` is a list) and, with `create_or_update`, add
// paths the template lacks; a `*` in a path matches any one key, `**` any number of levels.

import { configError } from '@conveyor/protocol';
import { parse as parseYaml, type ScalarTag, type Tags } from 'yaml';
import { propagateParameters } from '../manifest/defaults.js';
import { exposeParameters } from '../manifest/loader.js';
import { type Config, Interpolated, InterpolatedCondition } from './interpolated.js';
import { type Mapping, sliceScope } from './slice.js';
import type { DeclarativeStreamRuntime } from './stream.js';
import { VALUE_TYPES } from './transformations.js';

/** What a resolver needs from the source: a runtime stream for the HTTP resolver's retriever. */
export interface DynamicStreamServices {
  stream(model: Mapping): DeclarativeStreamRuntime;
}

interface Values {
  components_values: unknown;
  stream_slice?: unknown;
}

type ResolverKind = 'HttpComponentsResolver' | 'ConfigComponentsResolver' | 'ParametrizedComponentsResolver';

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The segments of `path` that exist in `node`, with `*` and `**` expanded, as dpath globs them. */
function matches(node: unknown, path: string[]): (string | number)[][] {
  if (path.length === 0) return [[]];
  const [head, ...rest] = path as [string, ...string[]];
  const children: [string | number, unknown][] = Array.isArray(node)
    ? node.map((child, index) => [index, child])
    : isMapping(node)
      ? Object.entries(node)
      : [];
  if (head === '**') {
    // zero levels, or one level and `**` again
    const here = matches(node, rest);
    const deeper = children.flatMap(([key, child]) => matches(child, path).map((tail) => [key, ...tail]));
    return [...here, ...deeper];
  }
  const picked =
    head === '*'
      ? children
      : children.filter(([key]) => String(key) === head || (Array.isArray(node) && key === Number(head)));
  return picked.flatMap(([key, child]) => matches(child, rest).map((tail) => [key, ...tail]));
}

/** dpath.set: replaces the value at every existing path the glob matches; how many it replaced. */
function setExisting(root: Mapping, path: string[], value: unknown): number {
  const found = matches(root, path).filter((keys) => keys.length > 0);
  for (const keys of found) {
    let node: unknown = root;
    for (const key of keys.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
    (node as Record<string | number, unknown>)[keys.at(-1)!] = structuredClone(value);
  }
  return found.length;
}

/** dpath.new: creates the path (mappings on the way) and sets the value. */
function create(root: Mapping, path: string[], value: unknown): void {
  let node: Mapping = root;
  for (const key of path.slice(0, -1)) {
    if (!isMapping(node[key])) node[key] = {};
    node = node[key] as Mapping;
  }
  node[path.at(-1)!] = value;
}

/** Python's truthiness of a parsed value. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  return true;
}

/** YAML 1.1 as PyYAML reads it: its booleans are yes/no/on/off/true/false, never a bare y or n. */
const PYYAML_BOOLEANS: Record<string, RegExp> = {
  true: /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/,
  false: /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/,
};

function pyyamlTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag !== 'object' || 'collection' in tag) return tag;
    const scalar: ScalarTag = tag;
    if (scalar.tag !== 'tag:yaml.org,2002:bool' || !(scalar.test instanceof RegExp)) return tag;
    return { ...scalar, test: scalar.test.test('true') ? PYYAML_BOOLEANS.true : PYYAML_BOOLEANS.false };
  });
}

/** A string read as YAML when it is YAML (PyYAML's safe_load rules); anything else as it is. */
function yamlIfPossible(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    const parsed: unknown = parseYaml(value, { version: '1.1', customTags: pyyamlTags });
    return parsed instanceof Date ? value : parsed;
  } catch {
    return value;
  }
}

interface Mapper {
  apply(stream: Mapping, config: Config, scope: Mapping): void;
}

function mapperFor(kind: ResolverKind, model: Mapping, parameters: Mapping, where: string): Mapper {
  if (typeof model.value !== 'string')
    throw configError(`The value of ${where} must be a string (a template).`);
  const value = Interpolated.of(model.value, parameters);
  const path = list(model.field_path).map((segment) => Interpolated.of(segment, parameters));
  if (path.length === 0) throw configError(`The field_path of ${where} is empty.`);
  const valueType = typeof model.value_type === 'string' ? VALUE_TYPES[model.value_type] : undefined;
  if (model.condition && kind !== 'ConfigComponentsResolver')
    throw configError(`${where} has a condition, which only a ConfigComponentsResolver supports.`);
  const condition = model.condition ? InterpolatedCondition.of(model.condition, parameters) : undefined;
  const createOrUpdate = model.create_or_update === true && kind !== 'HttpComponentsResolver';
  return {
    apply(stream, config, scope) {
      if (condition && !condition.eval(config, scope)) return;
      const evaluated = value.eval(config, scope, valueType ? { validTypes: [valueType] } : undefined);
      const keys = path.map((segment) => segment.evalString(config, scope));
      const parsed =
        kind === 'HttpComponentsResolver' ||
        (kind === 'ConfigComponentsResolver' && typeof evaluated === 'string' && valueType === 'str')
          ? evaluated
          : yamlIfPossible(evaluated);
      const replaced = setExisting(stream, keys, parsed);
      if (replaced === 0 && createOrUpdate && truthy(parsed)) create(stream, keys, parsed);
    },
  };
}

/** Every combination of the configs' stream lists (one list per StreamConfig), merged as the reference merges them. */
function configCombinations(model: Mapping, config: Config): Values[] {
  const streamConfigs = Array.isArray(model.stream_config) ? model.stream_config : [model.stream_config];
  const lists = streamConfigs.filter(isMapping).map((streamConfig) => {
    const parameters = (streamConfig.parameters as Mapping | undefined) ?? {};
    let node: unknown = config;
    for (const segment of list(streamConfig.configs_pointer)) {
      const key = Interpolated.of(segment, parameters).evalString(config);
      node = isMapping(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    }
    const items = node === undefined ? [] : Array.isArray(node) ? [...node] : [node];
    items.push(...list(streamConfig.default_values));
    return items;
  });
  let combinations: [number, unknown][][] = [[]];
  for (const items of lists) {
    combinations = combinations.flatMap((combo) =>
      items.map((item, index) => [...combo, [index, item]] as [number, unknown][]),
    );
  }
  return combinations.map((combo) => {
    const merged: Mapping = {};
    combo.forEach(([index, item], position) => {
      if (isMapping(item)) Object.assign(merged, item);
      else if (!Object.hasOwn(merged, `source_config_${position}`))
        merged[`source_config_${position}`] = [index, item];
    });
    return { components_values: merged };
  });
}

async function httpValues(
  definition: Mapping,
  resolver: Mapping,
  services: DynamicStreamServices,
  config: Config,
  signal: AbortSignal,
): Promise<Values[]> {
  const name =
    typeof definition.name === 'string' && definition.name ? definition.name : '__http_components_resolver';
  const stream = services.stream({
    type: 'DeclarativeStream',
    name,
    retriever: resolver.retriever,
    schema_loader: { type: 'InlineSchemaLoader', schema: {} },
  });
  const values: Values[] = [];
  for await (const slice of stream.slices(config, undefined, signal)) {
    const stream_slice = sliceScope(slice).stream_slice;
    for await (const page of stream.readSlice(config, slice, signal)) {
      for (const record of page.records) values.push({ components_values: record, stream_slice });
    }
  }
  return values;
}

/** The streams `dynamic_streams` defines for this config, in order; names must be unique. */
export async function resolveDynamicStreams(
  definitions: unknown,
  services: DynamicStreamServices,
  config: Config,
  signal: AbortSignal,
  taken: ReadonlySet<string>,
): Promise<Mapping[]> {
  const streams: Mapping[] = [];
  const seen = new Set(taken);
  for (const [index, definition] of list(definitions).entries()) {
    if (!isMapping(definition)) continue;
    const where = `dynamic_streams[${index}]`;
    const resolver = definition.components_resolver;
    const template = definition.stream_template;
    if (!isMapping(resolver) || !isMapping(template))
      throw configError(`${where} needs a components_resolver and a stream_template.`);
    const kind = resolver.type as ResolverKind;
    const parameters = (resolver.parameters as Mapping | undefined) ?? {};
    const mappers = list(resolver.components_mapping)
      .filter(isMapping)
      .map((mapping, m) =>
        mapperFor(kind, mapping, parameters, `${where}.components_resolver.components_mapping[${m}]`),
      );
    let values: Values[];
    switch (kind) {
      case 'HttpComponentsResolver':
        values = await httpValues(definition, resolver, services, config, signal);
        break;
      case 'ConfigComponentsResolver':
        values = configCombinations(resolver, config);
        break;
      case 'ParametrizedComponentsResolver': {
        const streamParameters = isMapping(resolver.stream_parameters) ? resolver.stream_parameters : {};
        values = list(streamParameters.list_of_parameters_for_stream).map((v) => ({ components_values: v }));
        break;
      }
      default:
        throw configError(
          `The components resolver "${String(resolver.type)}" of ${where} is not supported. Supported: HttpComponentsResolver, ConfigComponentsResolver, ParametrizedComponentsResolver.`,
        );
    }
    for (const value of values) {
      const stream = withoutParameterAliases(structuredClone(template));
      const scope = { stream_template_config: template, ...value };
      for (const mapper of mappers) mapper.apply(stream, config, scope);
      propagateParameters(stream, definition.use_parent_parameters !== false);
      stream.type ??= 'DeclarativeStream';
      exposeParameters(stream);
      const name = stream.name;
      if (typeof name !== 'string')
        throw configError(`${where} built a stream whose name is not a string (${JSON.stringify(name)}).`);
      if (seen.has(name))
        throw configError(
          `${where} built a second stream named "${name}". ${kind === 'ConfigComponentsResolver' ? 'Check the config: two entries give the same name.' : 'Stream names must be unique.'}`,
        );
      seen.add(name);
      streams.push(stream);
    }
  }
  return streams;
}

/** Drops the `parameters` aliases the loader added beside `$parameters` (they are added again after). */
function withoutParameterAliases(node: Mapping): Mapping {
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (isMapping(value)) {
      if (value.parameters !== undefined && value.parameters === value.$parameters) delete value.parameters;
      for (const child of Object.values(value)) visit(child);
    }
  };
  visit(node);
  return node;
}
