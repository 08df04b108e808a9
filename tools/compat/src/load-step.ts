// Step "load": does an engine load and build every stream of each manifest? Measured by running its
// `discover` with a generated config against a mock (so a schema fetched at discover time stays local).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateConfig } from './config-gen.js';
import { type CorpusEntry, readManifest } from './corpus.js';
import { type Engine, runEngine } from './engines.js';
import { customComponents, isObject } from './manifest-model.js';
import { planRoutes } from './mock-plan.js';
import { startMock } from './mock-server.js';
import { pointAtMock } from './url-rewrite.js';

export type LoadResult = { name: string; seconds: number } & (
  | { status: 'builds'; streams: number }
  | { status: 'custom'; components: string[] }
  | { status: 'fails'; reason: string }
);

export async function loadManifest(
  entry: CorpusEntry,
  engine: Engine,
  options: { outDir: string; startDate: string; timeoutMs: number },
): Promise<LoadResult> {
  const started = performance.now();
  const seconds = (): number => Math.round((performance.now() - started) / 100) / 10;
  let raw: ReturnType<typeof readManifest>;
  try {
    raw = readManifest(entry.manifestPath);
  } catch (error) {
    return {
      name: entry.name,
      seconds: seconds(),
      status: 'fails',
      reason: `unreadable YAML: ${String(error)}`,
    };
  }
  const components = customComponents(raw);
  if (components.length > 0) return { name: entry.name, seconds: seconds(), status: 'custom', components };
  const dir = join(options.outDir, 'work', entry.name);
  mkdirSync(dir, { recursive: true });
  const config = generateConfig(raw, { startDate: options.startDate });
  const configPath = join(dir, 'load-config.json');
  writeFileSync(configPath, `${JSON.stringify(config, null, 1)}\n`);
  const mock = await startMock();
  try {
    const pointed = pointAtMock(raw, mock.origin);
    const manifestPath = join(dir, `load-${engine.name}.manifest.yaml`);
    writeFileSync(manifestPath, `${JSON.stringify(pointed, null, 1)}\n`);
    mock.setRoutes(planRoutes(pointed, config, new Date(Date.parse(options.startDate))));
    let streams: unknown[] | undefined;
    const run = await runEngine(engine, {
      args: ['discover', '--config', configPath, '--manifest-path', manifestPath],
      timeoutMs: options.timeoutMs,
      onMessage: (m) => {
        if (m.type === 'CATALOG') streams = m.catalog?.streams ?? [];
      },
    });
    if (run.error || !streams)
      return { name: entry.name, seconds: seconds(), status: 'fails', reason: run.error ?? 'no catalog' };
    const declared = Array.isArray(raw.streams) ? raw.streams.length : 0;
    if (streams.length < declared) {
      return {
        name: entry.name,
        seconds: seconds(),
        status: 'fails',
        reason: `catalog has ${streams.length} of the ${declared} declared streams`,
      };
    }
    return {
      name: entry.name,
      seconds: seconds(),
      status: 'builds',
      streams: streams.filter(isObject).length,
    };
  } finally {
    await mock.close();
  }
}
