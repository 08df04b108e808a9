// How the CLI talks to people: one clear paragraph per error, exit codes by failure class.

import type { Logger } from '@conveyor/cdk';
import { asConveyorError, type ConveyorError } from '@conveyor/protocol';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export function exitCodeFor(error: ConveyorError): number {
  return error.failureType === 'config_error' ? EXIT_USAGE : EXIT_FAILED;
}

export function describeError(thrown: unknown, debug: boolean): string {
  const error = asConveyorError(thrown);
  const kind =
    error.failureType === 'config_error'
      ? 'Configuration error'
      : error.failureType === 'transient_error'
        ? 'Temporary failure (retrying later may succeed)'
        : 'Error';
  let text = `${kind}: ${error.userMessage}`;
  if (debug) {
    if (error.internalMessage) text += `\n\n${error.internalMessage}`;
    else if (error.stack) text += `\n\n${error.stack}`;
  } else if (error.failureType === 'system_error') {
    text += '\n(Run again with --debug for internal details.)';
  }
  return text;
}

export type Verbosity = 'quiet' | 'normal' | 'verbose' | 'debug';

export function stderrLogger(verbosity: Verbosity): Logger {
  const rank = { quiet: 0, normal: 1, verbose: 2, debug: 3 }[verbosity];
  const write = (level: string, message: string) => process.stderr.write(`${level} ${message}\n`);
  return {
    debug: (m) => rank >= 3 && write('debug', m),
    info: (m) => rank >= 2 && write('info ', m),
    warn: (m) => rank >= 1 && write('warn ', m),
    error: (m) => write('error', m),
  };
}

export function printTable(columns: string[], rows: unknown[][]): string {
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return 'NULL';
    if (typeof v === 'object')
      return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
    return String(v);
  };
  const body = rows.map((r) => r.map((v) => cell(v).slice(0, 60)));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join(' | ');
  return [fmt(columns), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(fmt)].join('\n');
}
