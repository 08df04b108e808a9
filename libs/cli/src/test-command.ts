// `conveyor test CONNECTOR`: the acceptance kit, a table per suite, JUnit XML on request, exit 0
// only when every case passed.

import { writeFileSync } from 'node:fs';
import { configError } from '@conveyor/protocol';
import { formatReport, isSuiteName, junitReport, runAcceptance, SUITES } from '@conveyor/testing';

/** The flags of `conveyor test`, as commander hands them over. */
export interface TestOptions {
  acceptance?: string;
  suite?: string[];
  junit?: string;
  seed?: string;
  writeReleased?: boolean;
  record?: boolean;
}

export async function testCommand(connector: string, options: TestOptions): Promise<number> {
  const only = options.suite?.map((s) => {
    if (!isSuiteName(s)) throw configError(`--suite ${s} is not a suite. Suites: ${SUITES.join(', ')}.`);
    return s;
  });
  const seed = options.seed === undefined ? undefined : Number(options.seed);
  if (seed !== undefined && !Number.isInteger(seed))
    throw configError(`--seed must be a whole number (got "${options.seed}").`);
  const report = await runAcceptance(connector, {
    ...(options.acceptance ? { acceptanceFile: options.acceptance } : {}),
    ...(only ? { only } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(options.writeReleased ? { writeReleased: true } : {}),
    ...(options.record ? { record: true } : {}),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  if (options.junit) writeFileSync(options.junit, junitReport([report]));
  return report.passed ? 0 : 1;
}
