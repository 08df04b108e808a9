// backward_compatibility: the spec and catalog against those of the last published version (kept in
// acceptance/released.json). A breaking change fails unless a changeset declares a major bump.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { breakingSchemaChanges } from '@conveyor/engine';
import type { Catalog, JsonObject } from '@conveyor/protocol';
import { type CaseResult, Skip, type SuiteContext, timed } from '../context.js';

export interface ReleasedSnapshot {
  version: string;
  spec: JsonObject;
  catalog?: Catalog;
}

function typeOf(schema: unknown): string {
  const t = (schema as { type?: unknown } | undefined)?.type;
  const list = (Array.isArray(t) ? t : [t]).filter((x) => x !== undefined && x !== 'null').map(String);
  return list.sort().join('|') || 'any';
}

/** Config changes that break an existing config: a field removed or retyped, a new required field. */
export function breakingSpecChanges(before: JsonObject, after: JsonObject, path = ''): string[] {
  const problems: string[] = [];
  const props = (s: JsonObject) => (s.properties ?? {}) as Record<string, JsonObject>;
  const required = (s: JsonObject) => new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const [oldProps, newProps] = [props(before), props(after)];
  for (const [name, schema] of Object.entries(oldProps)) {
    const where = path ? `${path}.${name}` : name;
    const now = newProps[name];
    if (!now) problems.push(`config field "${where}" was removed`);
    else if (typeOf(schema) !== typeOf(now))
      problems.push(`config field "${where}" changed type ${typeOf(schema)} -> ${typeOf(now)}`);
    else problems.push(...breakingSpecChanges(schema, now, where));
  }
  const wasRequired = required(before);
  for (const name of required(after)) {
    if (!wasRequired.has(name))
      problems.push(`config field "${path ? `${path}.` : ''}${name}" is newly required`);
  }
  return problems;
}

/** The bump pending changesets declare for a package: the highest of them, or undefined. */
export function pendingBump(packageName: string, from: string): 'major' | 'minor' | 'patch' | undefined {
  let dir = from;
  while (!existsSync(join(dir, '.changeset')) && dirname(dir) !== dir) dir = dirname(dir);
  const folder = join(dir, '.changeset');
  if (!existsSync(folder)) return undefined;
  const rank = { patch: 1, minor: 2, major: 3 } as const;
  let best: keyof typeof rank | undefined;
  for (const file of readdirSync(folder).filter((f) => f.endsWith('.md'))) {
    const front = /^---\n([\s\S]*?)\n---/.exec(readFileSync(join(folder, file), 'utf8'))?.[1] ?? '';
    for (const line of front.split('\n')) {
      const match = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch)\s*$/.exec(line);
      if (match?.[1] === packageName && (!best || rank[match[2] as keyof typeof rank] > rank[best])) {
        best = match[2] as keyof typeof rank;
      }
    }
  }
  return best;
}

export function writeReleasedSnapshot(ctx: SuiteContext): string {
  const version = String(ctx.connector.packageJson?.version ?? '0.0.0');
  if (!ctx.spec) throw new Error('cannot record the released spec: the spec suite did not get one');
  const catalog = ctx.catalogs.get(ctx.acceptance.configs[0]!.name);
  const snapshot: ReleasedSnapshot = {
    version,
    spec: ctx.spec.connectionSpecification,
    ...(catalog ? { catalog } : {}),
  };
  mkdirSync(dirname(ctx.acceptance.releasedSnapshot), { recursive: true });
  writeFileSync(ctx.acceptance.releasedSnapshot, `${JSON.stringify(snapshot, null, 2)}\n`);
  return ctx.acceptance.releasedSnapshot;
}

export async function compatibilitySuite(ctx: SuiteContext): Promise<CaseResult[]> {
  return [
    await timed(
      'backward_compatibility',
      'spec and catalog stay compatible with the released version',
      () => {
        const file = ctx.acceptance.releasedSnapshot;
        if (!existsSync(file)) {
          throw new Skip(
            'no acceptance/released.json yet (it records the published spec and catalog; `conveyor test CONNECTOR --write-released` writes it)',
          );
        }
        if (!ctx.spec) throw new Skip('no spec to compare');
        const released = JSON.parse(readFileSync(file, 'utf8')) as ReleasedSnapshot;
        const problems = breakingSpecChanges(released.spec, ctx.spec.connectionSpecification);
        const current = ctx.catalogs.get(ctx.acceptance.configs[0]!.name);
        if (released.catalog && current) problems.push(...breakingSchemaChanges(released.catalog, current));
        if (problems.length === 0) return `compatible with ${released.version}`;
        const name = String(ctx.connector.packageJson?.name ?? '');
        const bump = name ? pendingBump(name, ctx.connector.dir) : undefined;
        if (bump === 'major') return `breaking changes declared by a major changeset: ${problems.join('; ')}`;
        throw new Error(
          `breaking changes since ${released.version}: ${problems.join('; ')}. Either undo them, or add a changeset with a major bump for ${name || 'this package'} (npx changeset) and describe the change under conveyor.breakingChanges in its package.json.`,
        );
      },
    ),
  ];
}
