#!/usr/bin/env node
// `conveyor-declarative`: runs a manifest as a protocol-speaking source, with the same command
// line as the reference's `source-declarative-manifest` (spec | check | discover | read, plus
// `--manifest-path FILE`), so tools that drive one can drive the other.

import { runConnector } from '@conveyor/cdk';
import { ConveyorError } from '@conveyor/protocol';
import { loadDeclarativeSource } from './load.js';

function splitManifestPath(argv: string[]): { manifest: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let manifest: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--manifest-path') manifest = argv[++i];
    else if (arg.startsWith('--manifest-path=')) manifest = arg.slice('--manifest-path='.length);
    else rest.push(arg);
  }
  return { manifest, rest };
}

async function main(): Promise<void> {
  const { manifest, rest } = splitManifestPath(process.argv.slice(2));
  if (!manifest) {
    process.stderr.write(
      'Give the manifest to run: conveyor-declarative {spec|check|discover|read} [--config FILE] [--catalog FILE] [--state FILE] --manifest-path manifest.yaml\n',
    );
    process.exitCode = 2;
    return;
  }
  let source: Awaited<ReturnType<typeof loadDeclarativeSource>>;
  try {
    source = await loadDeclarativeSource(manifest);
  } catch (error) {
    const message = error instanceof ConveyorError ? error.userMessage : (error as Error).message;
    process.stdout.write(
      `${JSON.stringify({ type: 'TRACE', trace: { type: 'ERROR', emitted_at: Date.now(), error: { message, failure_type: 'config_error' } } })}\n`,
    );
    process.stderr.write(`${message}\n`);
    process.exitCode = 1;
    return;
  }
  await runConnector(source, rest);
}

await main();
