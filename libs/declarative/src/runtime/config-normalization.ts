// A manifest's `spec.config_normalization_rules`: migrations that bring a stored config to the
// connector's current format (persisted once: the CLI rewrites the config file and emits CONTROL),
// transformations applied on every run (not persisted), and validations of the result. Built when
// the manifest loads, so an unknown component fails before any config is read.
//
// As the reference: ConfigAddFields evaluates each value against the config as changed so far and
// adds it when the condition (seeing `value` and `path`) holds; ConfigRemoveFields removes its
// pointers when its condition holds; ConfigRemapField replaces a value found in its map; a
// DpathValidator skips a path the config does not have. One difference: a PredicateValidator's
// `value` is a template evaluated with the config, as the schema documents (the reference
// validates the template's text).

import type { PreparedConfig } from '@conveyor/cdk';
import { configError, type JsonObject } from '@conveyor/protocol';
import { Ajv, type ValidateFunction } from 'ajv';
import { Interpolated, InterpolatedCondition, InterpolatedMapping } from './interpolated.js';
import type { Mapping } from './slice.js';
import { removeAt, setAt, VALUE_TYPES } from './transformations.js';

type ConfigStep = (config: Mapping) => void;
type Validator = (config: Mapping) => void;

export interface ConfigNormalization {
  prepare(stored: JsonObject): PreparedConfig;
  /** Throws a config error naming the rule a config breaks. */
  validate(config: JsonObject): void;
}

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function list(value: unknown): Mapping[] {
  return Array.isArray(value) ? value.filter(isMapping) : [];
}

function addFields(model: Mapping): ConfigStep {
  const condition = model.condition ? InterpolatedCondition.of(model.condition) : undefined;
  const fields = list(model.fields).map((field) => {
    const path = Array.isArray(field.path) ? field.path.map(String) : [];
    if (path.length === 0) throw configError('A ConfigAddFields field needs a non-empty path.');
    const valueType = typeof field.value_type === 'string' ? VALUE_TYPES[field.value_type] : undefined;
    return { path, value: Interpolated.of(field.value), valueType };
  });
  return (config) => {
    for (const field of fields) {
      const value = field.value.eval(
        config,
        {},
        field.valueType ? { validTypes: [field.valueType] } : undefined,
      );
      if (condition && !condition.eval(config, { value, path: field.path })) continue;
      setAt(config, field.path, value);
    }
  };
}

function removeFields(model: Mapping): ConfigStep {
  const condition = model.condition ? InterpolatedCondition.of(model.condition) : undefined;
  const pointers = (Array.isArray(model.field_pointers) ? model.field_pointers : []).map((pointer) =>
    (Array.isArray(pointer) ? pointer : [pointer]).map(String),
  );
  return (config) => {
    if (condition && !condition.eval(config)) return;
    for (const pointer of pointers) removeAt(config, pointer, () => false);
  };
}

function remapField(model: Mapping): ConfigStep {
  const path = (Array.isArray(model.field_path) ? model.field_path : []).map((p) => Interpolated.of(p));
  if (path.length === 0) throw configError('A ConfigRemapField needs a non-empty field_path.');
  const map = isMapping(model.map) ? InterpolatedMapping.of(model.map) : Interpolated.of(model.map);
  return (config) => {
    const keys = path.map((p) => p.evalString(config));
    let node: unknown = config;
    for (const key of keys.slice(0, -1)) {
      if (!isMapping(node) || !Object.hasOwn(node, key)) return;
      node = node[key];
    }
    const last = keys.at(-1)!;
    if (!isMapping(node) || !Object.hasOwn(node, last)) return;
    const current = node[last];
    if (typeof current !== 'string' && typeof current !== 'number') return;
    const mapping = map.eval(config);
    if (isMapping(mapping) && Object.hasOwn(mapping, String(current))) node[last] = mapping[String(current)];
  };
}

function configStep(model: Mapping, where: string): ConfigStep {
  switch (model.type) {
    case 'ConfigAddFields':
      return addFields(model);
    case 'ConfigRemoveFields':
      return removeFields(model);
    case 'ConfigRemapField':
      return remapField(model);
    default:
      throw configError(
        `The config transformation "${String(model.type)}" in ${where} is not supported. Supported: ConfigAddFields, ConfigRemoveFields, ConfigRemapField.`,
      );
  }
}

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false, logger: false });

/** ValidateAdheresToSchema: a JSON string is parsed first, as the reference does. */
function schemaStrategy(model: Mapping, where: string): (value: unknown, at: string) => void {
  if (model.type !== 'ValidateAdheresToSchema') {
    throw configError(
      `The validation strategy "${String(model.type)}" in ${where} is not supported. Supported: ValidateAdheresToSchema.`,
    );
  }
  let schema = model.base_schema;
  if (typeof schema === 'string') {
    try {
      schema = JSON.parse(schema);
    } catch {
      throw configError(`The base_schema of ${where} is a string that is not JSON.`);
    }
  }
  if (!isMapping(schema)) throw configError(`The base_schema of ${where} must be a JSON schema object.`);
  const { $schema: _draft, ...rest } = schema;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(rest);
  } catch (error) {
    throw configError(`The base_schema of ${where} is not a valid JSON schema: ${(error as Error).message}`);
  }
  return (raw, at) => {
    let value = raw;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        throw configError(
          `The config's ${at} must hold JSON (a rule of the manifest's spec), but it does not.`,
        );
      }
    }
    if (validate(value)) return;
    const first = validate.errors?.[0];
    const inner = first?.instancePath ? ` at ${first.instancePath}` : '';
    throw configError(
      `The config's ${at}${inner} ${first?.message ?? 'is invalid'} (a rule of the manifest's spec). Fix the config and try again.`,
    );
  };
}

/** The values at `path` (`*` matches every key or item), as dpath reads them; a missing key matches nothing. */
function valuesAt(node: unknown, path: string[]): unknown[] {
  if (path.length === 0) return [node];
  const [key, ...rest] = path as [string, ...string[]];
  if (Array.isArray(node)) {
    if (key === '*') return node.flatMap((item) => valuesAt(item, rest));
    const index = Number(key);
    return Number.isInteger(index) && index >= 0 && index < node.length ? valuesAt(node[index], rest) : [];
  }
  if (!isMapping(node)) return [];
  if (key === '*') return Object.values(node).flatMap((child) => valuesAt(child, rest));
  return Object.hasOwn(node, key) ? valuesAt(node[key], rest) : [];
}

function validator(model: Mapping, index: number): Validator {
  const where = `spec.config_normalization_rules.validations[${index}]`;
  const strategy = schemaStrategy(
    isMapping(model.validation_strategy) ? model.validation_strategy : {},
    where,
  );
  if (model.type === 'DpathValidator') {
    const path = (Array.isArray(model.field_path) ? model.field_path : []).map((p) => Interpolated.of(p));
    if (path.length === 0) throw configError(`The field_path of ${where} is empty.`);
    return (config) => {
      const keys = path.map((p) => p.evalString({}));
      for (const value of valuesAt(config, keys)) strategy(value, `field ${keys.join('.')}`);
    };
  }
  if (model.type === 'PredicateValidator') {
    const value = Interpolated.of(model.value);
    return (config) => strategy(value.eval(config), `value checked by ${where}`);
  }
  throw configError(
    `The config validator "${String(model.type)}" in ${where} is not supported. Supported: DpathValidator, PredicateValidator.`,
  );
}

/** The rules of a manifest's spec, or undefined when it has none. */
export function configNormalizationFrom(rules: unknown): ConfigNormalization | undefined {
  if (!isMapping(rules)) return undefined;
  const migrations = list(rules.config_migrations).flatMap((migration, m) =>
    list(migration.transformations).map((step, t) =>
      configStep(step, `spec.config_normalization_rules.config_migrations[${m}].transformations[${t}]`),
    ),
  );
  const transformations = list(rules.transformations).map((step, t) =>
    configStep(step, `spec.config_normalization_rules.transformations[${t}]`),
  );
  const validators = list(rules.validations).map(validator);
  return {
    prepare(stored) {
      const migrated = structuredClone(stored) as Mapping;
      for (const step of migrations) step(migrated);
      const effective = structuredClone(migrated);
      for (const step of transformations) step(effective);
      return { migrated: migrated as JsonObject, effective: effective as JsonObject };
    },
    validate(config) {
      for (const check of validators) check(config);
    },
  };
}
