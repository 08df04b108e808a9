// Finding components in a resolved manifest: those that need custom Python code (a `Custom*` type, or
// a `class_name` without a type), which this engine cannot run, and the count of manifests using each component
// type (the table in the package README is made from it).
//
// A component is a mapping whose `type` names a component: component types are written in
// PascalCase, while JSON schemas inside the manifest use lower-case types (`object`, `string`);
// usage counts only the types the schema defines.

import { formatPath, isPlainObject, type PathStep } from './positions.js';
import { componentTypeNames, DEFAULT_SCHEMA_LOCATION, type SchemaLocation } from './schema-validation.js';

export interface CustomComponent {
  path: string;
  type: string;
  className?: string;
}

const COMPONENT_TYPE = /^[A-Z][A-Za-z0-9]*$/;

function walk(
  value: unknown,
  path: PathStep[],
  visit: (component: Record<string, unknown>, type: string | undefined, path: PathStep[]) => void,
): void {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      walk(item, [...path, index], visit);
    });
    return;
  }
  if (!isPlainObject(value)) return;
  const type = typeof value.type === 'string' && COMPONENT_TYPE.test(value.type) ? value.type : undefined;
  visit(value, type, path);
  for (const key of Object.keys(value)) {
    // Unused definitions are not part of what runs; what is used was copied to where it is used.
    if (path.length === 0 && key === 'definitions') continue;
    // `parameters` is the same object as `$parameters`; walking both would count it twice.
    if (key === 'parameters' && value.parameters === value.$parameters) continue;
    walk(value[key], [...path, key], visit);
  }
}

/** Components that need custom Python code, in document order. */
export function findCustomComponents(manifest: Record<string, unknown>): CustomComponent[] {
  const found: CustomComponent[] = [];
  walk(manifest, [], (component, type, path) => {
    const className = typeof component.class_name === 'string' ? component.class_name : undefined;
    // a class_name on a built-in type (`type: HttpRequester`) is ignored, as the reference ignores it
    if (type?.startsWith('Custom') || (className !== undefined && type === undefined)) {
      const entry: CustomComponent = { path: formatPath(path), type: type ?? String(component.type ?? '') };
      if (className !== undefined) entry.className = className;
      found.push(entry);
    }
  });
  return found;
}

/**
 * Component type → number of the given (resolved) manifests that use it at least once. Only the
 * types the schema defines count: a `type` inside connector data (a spec's enum, an example) is not
 * a component.
 */
export function componentUsage(
  manifests: Iterable<Record<string, unknown>>,
  options: { schema?: SchemaLocation } = {},
): Map<string, number> {
  const known = componentTypeNames(options.schema ?? DEFAULT_SCHEMA_LOCATION);
  const usage = new Map<string, number>();
  for (const manifest of manifests) {
    const types = new Set<string>();
    walk(manifest, [], (_component, type) => {
      if (type !== undefined && known.has(type)) types.add(type);
    });
    for (const type of types) usage.set(type, (usage.get(type) ?? 0) + 1);
  }
  return new Map([...usage].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}
