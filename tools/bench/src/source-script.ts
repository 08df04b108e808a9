// The passthrough benchmark's source: a protocol-speaking executable (run as `exec:PATH`) that
// streams a prepared file of RECORD lines to stdout without parsing it, so the measured time is
// the engine's and the destination's, not the source's. Written into bench-out/ on every run.

import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { USERS_SCHEMA } from './fixtures.js';

export const SOURCE_SCRIPT_NAME = 'jsonl-source.mjs';

/** Config the script reads: the file of RECORD lines, streamed `repeat` times in a row (default 1). */
export interface ScriptSourceConfig {
  path: string;
  repeat?: number;
}

function scriptText(): string {
  const spec = {
    connectionSpecification: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      required: ['path'],
      properties: {
        path: { type: 'string', description: 'file of RECORD lines to stream' },
        repeat: { type: 'integer', minimum: 1, default: 1 },
      },
    },
  };
  const catalog = {
    streams: [
      {
        name: 'users',
        json_schema: USERS_SCHEMA,
        supported_sync_modes: ['full_refresh'],
        source_defined_primary_key: [['id']],
      },
    ],
  };
  return `#!/usr/bin/env node
// Written by tools/bench (src/source-script.ts); regenerated on every bench run.
import { createReadStream, readFileSync } from 'node:fs';

const [command, ...args] = process.argv.slice(2);
const option = (name) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const say = (message) => process.stdout.write(JSON.stringify(message) + '\\n');
const configOf = () => JSON.parse(readFileSync(option('--config'), 'utf8'));

const streamOnce = (path) =>
  new Promise((resolve, reject) => {
    const input = createReadStream(path, { highWaterMark: 1 << 20 });
    input.on('error', reject);
    input.on('end', resolve);
    input.pipe(process.stdout, { end: false });
  });

switch (command) {
  case 'spec':
    say({ type: 'SPEC', spec: ${JSON.stringify(spec)} });
    break;
  case 'check': {
    const { path } = configOf();
    say({ type: 'CONNECTION_STATUS', connectionStatus: { status: typeof path === 'string' ? 'SUCCEEDED' : 'FAILED' } });
    break;
  }
  case 'discover':
    say({ type: 'CATALOG', catalog: ${JSON.stringify(catalog)} });
    break;
  case 'read': {
    const { path, repeat = 1 } = configOf();
    for (let i = 0; i < repeat; i++) await streamOnce(path);
    break;
  }
  default:
    process.stderr.write('usage: jsonl-source.mjs spec | check --config F | discover --config F | read --config F --catalog F\\n');
    process.exit(2);
}
`;
}

/** Writes the script into `outDir`, executable, and returns its absolute path. */
export function writeSourceScript(outDir: string): string {
  const path = join(outDir, SOURCE_SCRIPT_NAME);
  writeFileSync(path, scriptText());
  chmodSync(path, 0o755);
  return path;
}
