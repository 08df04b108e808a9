// What the suites share: the connector, its acceptance file, every process run so far (the secrets
// and hygiene suites read them all), and results computed once (spec, catalogs, the first read).

import type { AirbyteMessage, Catalog, ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import type { AcceptanceFile } from './acceptance-file.js';
import { type ConnectorCommand, type ProcessRun, type RunInputs, runCommand } from './connector-process.js';

export const SUITES = [
  'spec',
  'check',
  'discover',
  'basic_read',
  'full_refresh',
  'incremental',
  'interruption',
  'write',
  'secrets',
  'protocol_hygiene',
  'backward_compatibility',
] as const;
export type SuiteName = (typeof SUITES)[number];

export interface CaseResult {
  suite: SuiteName;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped; what it proved when it passed. */
  message: string;
  ms: number;
}

export class SuiteContext {
  readonly runs: ProcessRun[] = [];
  /**
   * Added to every connector process's environment: the recording proxy's settings, and a small
   * checkpoint interval for CDK sources so that even a small test read has checkpoints to resume from.
   */
  env: Record<string, string> = { CONVEYOR_CHECKPOINT_RECORDS: '3' };
  spec: ConnectorSpecification | undefined;
  /** True under --record: the service's real answers are being learned, so expected records are not checked. */
  recording = false;
  readonly catalogs = new Map<string, Catalog>();

  constructor(
    readonly connector: ConnectorCommand,
    readonly acceptance: AcceptanceFile,
    /** Seed for the random kill points, so a failure can be replayed. */
    readonly seed: number,
  ) {}

  async run(args: string[], inputs: RunInputs = {}): Promise<ProcessRun> {
    const run = await runCommand(this.connector, args, { ...inputs, env: { ...this.env, ...inputs.env } });
    this.runs.push(run);
    return run;
  }
}

export function ofType<T extends AirbyteMessage['type']>(
  run: ProcessRun,
  type: T,
): Array<Extract<AirbyteMessage, { type: T }>> {
  return run.messages.filter((m): m is Extract<AirbyteMessage, { type: T }> => m.type === type);
}

/** A short description of how a process ended, for failure messages. */
export function ending(run: ProcessRun): string {
  const stderr = run.stderr.trim().split('\n').slice(-3).join(' | ');
  return `exit code ${run.exitCode}${stderr ? `; stderr ends: ${stderr.slice(0, 400)}` : ''}`;
}

export function errorTraces(run: ProcessRun): string[] {
  return ofType(run, 'TRACE')
    .filter((m) => m.trace.type === 'ERROR')
    .map((m) => String((m.trace.error as JsonObject | undefined)?.message ?? 'an error trace'));
}

export async function timed(
  suite: SuiteName,
  name: string,
  body: () => Promise<string> | string,
): Promise<CaseResult> {
  const started = Date.now();
  try {
    const message = await body();
    return { suite, name, status: 'passed', message, ms: Date.now() - started };
  } catch (error) {
    if (error instanceof Skip)
      return { suite, name, status: 'skipped', message: error.message, ms: Date.now() - started };
    return { suite, name, status: 'failed', message: (error as Error).message, ms: Date.now() - started };
  }
}

/** Thrown by a case that cannot apply (no incremental stream, no secret in the spec...). */
export class Skip extends Error {}

export function expect(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}
