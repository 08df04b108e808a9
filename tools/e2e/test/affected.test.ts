// `npm run affected -- --base REF` in a throwaway copy of the workspace: each kind of change selects
// exactly the projects it can break.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type WorkspaceCopy, workspaceCopy } from './workspace-copy.js';

let ws: WorkspaceCopy;
let base: string;

const ALL_CONNECTORS = [
  '@conveyor/destination-duckdb',
  '@conveyor/destination-jsonl',
  '@conveyor/source-faker',
  '@conveyor/source-files',
  '@conveyor/source-tiny',
];

function affectedBy(change: () => void): string[] {
  ws.git('reset', '-q', '--hard', base);
  ws.git('clean', '-qfd');
  change();
  ws.commit('a change');
  const out = execFileSync('npm', ['run', '--silent', 'affected', '--', '--base', base], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' },
  });
  return out
    .split('\n')
    .filter((l) => l.startsWith('@conveyor/'))
    .sort();
}

const append =
  (path: string, text = '\n// touched\n') =>
  () =>
    ws.write(path, readFileSync(join(ws.dir, path), 'utf8') + text);

beforeAll(() => {
  ws = workspaceCopy();
  // a connector that reaches @conveyor/protocol only through @conveyor/cdk (two levels down)
  ws.write(
    'connectors/source-tiny/package.json',
    `${JSON.stringify({ name: '@conveyor/source-tiny', version: '0.1.0', private: true, dependencies: { '@conveyor/cdk': '^1.0.0' } }, null, 2)}\n`,
  );
  ws.write('connectors/source-tiny/src/index.ts', 'export {};\n');
  base = ws.commit('add source-tiny');
}, 60_000);

afterAll(() => ws?.remove());

describe('affected projects', () => {
  it('a change in one connector selects that connector and the tools that test it, nothing else', () => {
    const selected = affectedBy(append('connectors/source-faker/src/streams.ts'));
    expect(selected).toContain('@conveyor/source-faker');
    expect(selected.filter((p) => ALL_CONNECTORS.includes(p))).toEqual(['@conveyor/source-faker']);
    expect(selected.filter((p) => p.startsWith('@conveyor/') && !/faker|e2e|bench/.test(p))).toEqual([]);
  });

  it('a change in a lib selects the lib and every package that depends on it, directly or not', () => {
    const selected = affectedBy(append('libs/protocol/src/lines.ts'));
    for (const p of [
      '@conveyor/protocol',
      '@conveyor/cdk',
      '@conveyor/engine',
      '@conveyor/cli',
      ...ALL_CONNECTORS,
    ]) {
      expect(selected).toContain(p);
    }
    expect(selected).not.toContain('@conveyor/ci');
    expect(selected).not.toContain('@conveyor/registry');
  });

  it('a change in the CDK does not select the protocol it builds on', () => {
    const selected = affectedBy(append('libs/cdk/src/index.ts'));
    expect(selected).toContain('@conveyor/source-tiny');
    expect(selected).not.toContain('@conveyor/protocol');
  });

  it.each(['tsconfig.base.json', 'turbo.json', 'nx.json', 'biome.json', 'package.json'])(
    'a change to the root config %s selects everything',
    (file) => {
      const selected = affectedBy(() => {
        const text = readFileSync(join(ws.dir, file), 'utf8');
        ws.write(file, file.endsWith('.json') ? `${text.trimEnd()}\n\n` : `${text}\n`);
      });
      const everything = execFileSync('npx', ['nx', 'show', 'projects', '--json'], {
        cwd: ws.dir,
        encoding: 'utf8',
        env: { ...process.env, NX_DAEMON: 'false' },
      });
      expect(selected).toEqual((JSON.parse(everything) as string[]).sort());
    },
  );

  it('a change outside every project and every config selects nothing', () => {
    expect(affectedBy(append('docs/engine.md', '\nA note.\n'))).toEqual([]);
  });
});
