// The arrows of the house, checked: protocol depends on no Conveyor package; libs depend on libs
// only; connectors depend on libs only; and no source file imports a Conveyor package that its
// package.json does not declare.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

interface Pkg {
  dir: string;
  group: string;
  name: string;
  deps: string[];
  devDeps: string[];
}

function packages(): Pkg[] {
  const out: Pkg[] = [];
  for (const group of ['libs', 'connectors', 'tools']) {
    for (const name of readdirSync(join(ROOT, group))) {
      const dir = join(ROOT, group, name);
      let json: {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      try {
        json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      } catch {
        continue;
      }
      out.push({
        dir,
        group,
        name: json.name,
        deps: Object.keys(json.dependencies ?? {}).filter((d) => d.startsWith('@conveyor/')),
        devDeps: Object.keys(json.devDependencies ?? {}).filter((d) => d.startsWith('@conveyor/')),
      });
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) files.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry)) files.push(path);
  }
  return files;
}

const all = packages();
const groupOf = new Map(all.map((p) => [p.name, p.group]));

describe('dependency boundaries', () => {
  it('finds the workspace packages', () => {
    expect(all.map((p) => p.name)).toEqual(
      expect.arrayContaining(['@conveyor/protocol', '@conveyor/cdk', '@conveyor/engine']),
    );
  });

  it('keeps @conveyor/protocol free of other Conveyor packages', () => {
    const protocol = all.find((p) => p.name === '@conveyor/protocol')!;
    expect(protocol.deps).toEqual([]);
  });

  it.each(all.filter((p) => p.group !== 'tools').map((p) => [p.name, p] as const))(
    '%s depends on libs only',
    (_name, pkg) => {
      const wrong = [...pkg.deps, ...pkg.devDeps].filter((d) => groupOf.get(d) !== 'libs');
      expect(wrong, `${pkg.name} must not depend on ${wrong.join(', ')}`).toEqual([]);
    },
  );

  it.each(all.map((p) => [p.name, p] as const))(
    '%s imports only the Conveyor packages it declares',
    (_name, pkg) => {
      const declared = new Set([...pkg.deps, ...pkg.devDeps, pkg.name]);
      const undeclared = new Set<string>();
      for (const file of sourceFiles(pkg.dir)) {
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(/from '(@conveyor\/[a-z0-9-]+)/g))
          if (!declared.has(m[1]!)) undeclared.add(m[1]!);
      }
      expect([...undeclared]).toEqual([]);
    },
  );
});
