// Validation of a resolved manifest against the reference's component schema (the compatibility
// contract), compiled once per process and schema file. A valid manifest costs one run of the
// compiled validator. For an invalid one, ajv's raw errors are mostly noise: every `anyOf` of
// component types reports a failure for each type that was not meant. So the explanation walks the
// schema and the manifest together instead, judging a node that has a `type` only against the
// definition of that type, and reports one issue per actual mistake: the field that is missing,
// unknown or wrong, and what was expected there (the allowed values, the type, the component types).

import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { describe } from './defaults.js';
import { formatPath, isPlainObject, type PathStep } from './positions.js';
import { closest } from './references.js';

type Schema = Record<string, unknown>;

/** A schema problem at a path of the manifest; the loader adds the YAML position. */
export interface SchemaIssue {
  path: PathStep[];
  message: string;
}

export const DEFAULT_SCHEMA_LOCATION = new URL(
  '../../schema/declarative_component_schema.yaml',
  import.meta.url,
);

interface CompiledSchema {
  root: Schema;
  id: string;
  ajv: Ajv;
  validate: ValidateFunction;
  /** validators of sub-schemas by JSON pointer, compiled on first use (only for invalid manifests) */
  partial: Map<string, ValidateFunction | undefined>;
  typeNames?: ReadonlySet<string>;
}

const compiled = new Map<string, CompiledSchema>();

export type SchemaLocation = string | URL;

function compile(location: SchemaLocation): CompiledSchema {
  const key = location instanceof URL ? location.href : location;
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  const root = parse(readFileSync(location, 'utf8')) as Schema;
  const id = typeof root.$id === 'string' ? root.$id : 'declarative_component_schema';
  const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
  ajv.addSchema({ ...root, $id: id }, id);
  const validate = ajv.getSchema(id);
  if (validate === undefined) throw new Error(`cannot compile the component schema ${key}`);
  const schema: CompiledSchema = { root, id, ajv, validate, partial: new Map() };
  compiled.set(key, schema);
  return schema;
}

/** Every component type the schema defines (the `type` values of its definitions). */
export function componentTypeNames(location: SchemaLocation = DEFAULT_SCHEMA_LOCATION): ReadonlySet<string> {
  const schema = compile(location);
  if (schema.typeNames === undefined) {
    const names = new Set<string>();
    const definitions = isPlainObject(schema.root.definitions) ? schema.root.definitions : {};
    for (const definition of Object.values(definitions)) {
      if (isPlainObject(definition)) for (const name of componentTypes(definition) ?? []) names.add(name);
    }
    schema.typeNames = names;
  }
  return schema.typeNames;
}

/** Compiles the schema now (it is otherwise compiled on first use). */
export function loadComponentSchema(location: SchemaLocation = DEFAULT_SCHEMA_LOCATION): void {
  compile(location);
}

function escapePointer(step: string): string {
  return step.replace(/~/g, '~0').replace(/\//g, '~1');
}

function at(schema: CompiledSchema, pointer: string): Schema | undefined {
  let node: unknown = schema.root;
  for (const raw of pointer.split('/').slice(1)) {
    const step = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(step)];
    else if (isPlainObject(node)) node = node[step];
    else return undefined;
  }
  return isPlainObject(node) ? node : undefined;
}

function validatorAt(schema: CompiledSchema, pointer: string): ValidateFunction | undefined {
  if (!schema.partial.has(pointer)) {
    let validate: ValidateFunction | undefined;
    try {
      validate = schema.ajv.getSchema(`${schema.id}#${encodeURI(pointer)}`);
    } catch {
      validate = undefined;
    }
    schema.partial.set(pointer, validate);
  }
  return schema.partial.get(pointer);
}

/** Validates a resolved manifest; returns issues with YAML-style paths and no positions. */
export function findSchemaIssues(
  manifest: Record<string, unknown>,
  location: SchemaLocation = DEFAULT_SCHEMA_LOCATION,
): SchemaIssue[] {
  const schema = compile(location);
  if (schema.validate(manifest)) return [];
  const issues: SchemaIssue[] = [];
  new Explainer(schema, issues).explain('', schema.root, manifest, [], 'DeclarativeSource');
  if (issues.length === 0) {
    // The explainer missed it; ajv's own words are better than nothing.
    for (const error of schema.validate.errors ?? []) issues.push(fromAjv(error));
  }
  return dedupe(issues);
}

function dedupe(issues: SchemaIssue[]): SchemaIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function fromAjv(error: ErrorObject, base: PathStep[] = []): SchemaIssue {
  const steps = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return { path: [...base, ...steps], message: `${error.message ?? 'is not valid'} (${error.schemaPath})` };
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(type: unknown, value: unknown): boolean {
  const types = Array.isArray(type) ? type : [type];
  const actual = jsonType(value);
  return types.some((t) => t === actual || (t === 'number' && actual === 'integer'));
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean (true or false)',
  object: 'a mapping',
  array: 'a list',
  null: 'null',
};

function typeWords(type: unknown): string {
  const types = Array.isArray(type) ? type : [type];
  return types.map((t) => TYPE_WORDS[String(t)] ?? String(t)).join(' or ');
}

/** The component types a schema stands for (`properties.type.enum`), if it describes a component. */
function componentTypes(schema: Schema): string[] | undefined {
  const properties = schema.properties;
  if (!isPlainObject(properties)) return undefined;
  const type = properties.type;
  if (!isPlainObject(type) || !Array.isArray(type.enum)) return undefined;
  return type.enum.filter((t): t is string => typeof t === 'string');
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

interface Option {
  pointer: string;
  schema: Schema;
  /** after following `$ref`s */
  target: Schema;
  name: string | undefined;
}

class Explainer {
  constructor(
    private readonly compiled: CompiledSchema,
    private readonly issues: SchemaIssue[],
  ) {}

  private passes(pointer: string, value: unknown): boolean {
    const validate = validatorAt(this.compiled, pointer);
    return validate === undefined ? false : validate(value) === true;
  }

  private errorCount(pointer: string, value: unknown): number {
    const validate = validatorAt(this.compiled, pointer);
    if (validate === undefined || validate(value)) return 0;
    return validate.errors?.length ?? 1;
  }

  private follow(pointer: string, schema: Schema, name: string | undefined): Option {
    let current = schema;
    let currentPointer = pointer;
    let currentName = name;
    for (let hops = 0; typeof current.$ref === 'string' && hops < 20; hops++) {
      const ref = current.$ref;
      const target = ref.startsWith('#') ? at(this.compiled, ref.slice(1)) : undefined;
      if (target === undefined) break;
      currentPointer = ref.slice(1);
      const match = /^\/definitions\/([^/]+)$/.exec(currentPointer);
      if (match?.[1] !== undefined) currentName = match[1];
      current = target;
    }
    return { pointer: currentPointer, schema, target: current, name: currentName };
  }

  explain(pointer: string, schema: Schema, value: unknown, path: PathStep[], name: string | undefined): void {
    if (pointer !== '' && this.passes(pointer, value)) return;
    const followed = this.follow(pointer, schema, name);
    if (followed.target !== schema) {
      this.explain(followed.pointer, followed.target, value, path, followed.name);
      return;
    }
    const before = this.issues.length;
    const title = name ?? 'this value';

    if (schema.type !== undefined && !matchesType(schema.type, value)) {
      const enumHint = Array.isArray(schema.enum) ? ` (one of: ${listValues(schema.enum)})` : '';
      this.issues.push({
        path,
        message: `expected ${typeWords(schema.type)}${enumHint}${name === undefined ? '' : ` for ${name}`}, found ${describe(value)}`,
      });
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((allowed) => sameJson(allowed, value))) {
      const suggestions =
        typeof value === 'string'
          ? closest(
              value,
              schema.enum.filter((e): e is string => typeof e === 'string'),
            )
          : [];
      const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(' or ')}?)` : '';
      this.issues.push({
        path,
        message: `${describe(value)} is not allowed here; expected one of: ${listValues(schema.enum)}${hint}`,
      });
      return;
    }

    if (isPlainObject(value)) this.explainObject(pointer, schema, value, path, title);
    if (Array.isArray(value)) this.explainArray(pointer, schema, value, path);
    if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) {
      this.issues.push({ path, message: `must be at least ${schema.minimum}, found ${value}` });
    }
    if (Array.isArray(schema.anyOf) || Array.isArray(schema.oneOf)) {
      const key = Array.isArray(schema.anyOf) ? 'anyOf' : 'oneOf';
      const branches = (schema[key] as unknown[]).filter(isPlainObject);
      this.explainAlternatives(
        branches.map((branch, index) => this.follow(`${pointer}/${key}/${index}`, branch, undefined)),
        value,
        path,
        name,
      );
    }
    if (Array.isArray(schema.allOf)) {
      schema.allOf.forEach((part, index) => {
        if (isPlainObject(part)) this.explain(`${pointer}/allOf/${index}`, part, value, path, name);
      });
    }

    if (this.issues.length === before && pointer !== '') {
      const validate = validatorAt(this.compiled, pointer);
      if (validate !== undefined && !validate(value)) {
        for (const error of validate.errors ?? []) this.issues.push(fromAjv(error, path));
      }
    }
  }

  private explainObject(
    pointer: string,
    schema: Schema,
    value: Record<string, unknown>,
    path: PathStep[],
    title: string,
  ): void {
    const properties = isPlainObject(schema.properties) ? schema.properties : {};
    if (Array.isArray(schema.required)) {
      for (const field of schema.required) {
        if (typeof field !== 'string' || Object.hasOwn(value, field)) continue;
        const property = properties[field];
        const expected =
          isPlainObject(property) && property.type !== undefined ? ` (${typeWords(property.type)})` : '';
        this.issues.push({
          path: [...path, field],
          message: `${title} requires the field "${field}"${expected}`,
        });
      }
    }
    for (const key of Object.keys(value)) {
      const property = properties[key];
      if (isPlainObject(property)) {
        this.explain(
          `${pointer}/properties/${escapePointer(key)}`,
          property,
          value[key],
          [...path, key],
          undefined,
        );
      } else if (schema.additionalProperties === false) {
        const allowed = Object.keys(properties);
        const suggestions = closest(key, allowed);
        const hint = suggestions.length > 0 ? `did you mean ${suggestions.join(' or ')}? ` : '';
        this.issues.push({
          path: [...path, key],
          message: `unknown field "${key}" in ${title}; ${hint}allowed fields: ${allowed.join(', ')}`,
        });
      } else if (isPlainObject(schema.additionalProperties)) {
        this.explain(
          `${pointer}/additionalProperties`,
          schema.additionalProperties,
          value[key],
          [...path, key],
          undefined,
        );
      }
    }
  }

  private explainArray(pointer: string, schema: Schema, value: unknown[], path: PathStep[]): void {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) {
      this.issues.push({ path, message: `needs at least ${schema.minItems} item(s), found ${value.length}` });
    }
    if (schema.uniqueItems === true) {
      const seen = new Set<string>();
      value.forEach((item, index) => {
        const key = JSON.stringify(item);
        if (seen.has(key))
          this.issues.push({ path: [...path, index], message: 'duplicates an earlier item' });
        seen.add(key);
      });
    }
    if (isPlainObject(schema.items)) {
      const items = schema.items;
      value.forEach((item, index) => {
        this.explain(`${pointer}/items`, items, item, [...path, index], undefined);
      });
    }
  }

  private explainAlternatives(
    options: Option[],
    value: unknown,
    path: PathStep[],
    name: string | undefined,
  ): void {
    const typed = options.filter((option) => componentTypes(option.target) !== undefined);
    const untypedObjects = options.filter(
      (option) => componentTypes(option.target) === undefined && this.admits(option.target, {}),
    );
    const allTypes = typed.flatMap((option) => componentTypes(option.target) ?? []);

    if (isPlainObject(value) && typed.length > 0 && untypedObjects.length === 0) {
      const type = value.type;
      if (typeof type === 'string') {
        const matching = typed.filter((option) => componentTypes(option.target)?.includes(type));
        if (matching.length === 0) {
          const suggestions = closest(type, allTypes);
          const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(' or ')}?)` : '';
          this.issues.push({
            path: [...path, 'type'],
            message: `unknown component type "${type}" here${hint}; expected one of: ${allTypes.join(', ')}`,
          });
          return;
        }
        this.explainBest(matching, value, path);
        return;
      }
      if (!Object.hasOwn(value, 'type')) {
        this.issues.push({
          path,
          message: `component has no "type"; expected one of: ${allTypes.join(', ')}`,
        });
        return;
      }
    }

    const admitting = options.filter((option) => this.admits(option.target, value));
    if (admitting.length === 0) {
      const expected = this.describeOptions(options);
      this.issues.push({
        path,
        message: `expected ${expected}${name === undefined ? '' : ` for ${name}`}, found ${describe(value)}`,
      });
      return;
    }
    this.explainBest(admitting, value, path);
  }

  private explainBest(options: Option[], value: unknown, path: PathStep[]): void {
    let best = options[0]!;
    if (options.length > 1) {
      let fewest = Number.POSITIVE_INFINITY;
      for (const option of options) {
        const count = this.errorCount(option.pointer, value);
        if (count < fewest) {
          fewest = count;
          best = option;
        }
      }
    }
    this.explain(best.pointer, best.target, value, path, best.name);
  }

  /** Whether the value has the JSON shape a schema accepts (ignoring everything else). */
  private admits(schema: Schema, value: unknown): boolean {
    if (schema.type !== undefined) return matchesType(schema.type, value);
    if (isPlainObject(schema.properties) || Array.isArray(schema.required)) return isPlainObject(value);
    if (Array.isArray(schema.enum)) return schema.enum.some((allowed) => sameJson(allowed, value));
    return true;
  }

  /** "a string or a list", "a component of type ApiKeyAuthenticator, BearerAuthenticator or ..." */
  private describeOptions(options: Option[]): string {
    const words = new Set<string>();
    const components: string[] = [];
    for (const option of options) {
      const types = componentTypes(option.target);
      if (types !== undefined) components.push(...types);
      else if (option.target.type !== undefined) words.add(typeWords(option.target.type));
      else words.add(option.name ?? 'another value');
    }
    if (components.length > 0) words.add(`a component (a mapping) of type ${components.join(', ')}`);
    return [...words].join(' or ');
  }
}
