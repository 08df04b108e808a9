#!/usr/bin/env node

// The `conveyor` command. Argument parsing only; each command lives in commands.ts.

import { asConveyorError } from '@conveyor/protocol';
import { Command, CommanderError } from 'commander';
import {
  checkCommand,
  discoverCommand,
  queryCommand,
  readCommand,
  runsCommand,
  specCommand,
  stateCommand,
  syncCommand,
} from './commands.js';
import { describeError, EXIT_USAGE, exitCodeFor, type Verbosity } from './output.js';

const program = new Command('conveyor')
  .description('Move data from any source to any destination, exactly once.')
  .option('--debug', 'show internal details and stack traces')
  .option('-v, --verbose', 'show connector log lines')
  .option('-q, --quiet', 'only errors')
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(text) });

function verbosity(): Verbosity {
  const o = program.opts<{ debug?: boolean; verbose?: boolean; quiet?: boolean }>();
  return o.debug ? 'debug' : o.verbose ? 'verbose' : o.quiet ? 'quiet' : 'normal';
}

let exitCode = 0;
const run = (fn: () => Promise<number> | number) => async () => {
  exitCode = await fn();
};

program
  .command('spec')
  .description('print the connector specification (a SPEC message)')
  .argument('<connector>', 'faker, duckdb, a package name, or exec:PATH')
  .action((connector: string) => run(() => specCommand(connector, { verbosity: verbosity() }))());

program
  .command('check')
  .description('check a config against the connector (a CONNECTION_STATUS message)')
  .argument('<connector>')
  .option('--config <file>', 'config JSON file (or inline JSON)')
  .action((connector: string, o: { config?: string }) =>
    run(() => checkCommand(connector, o.config, { verbosity: verbosity() }))(),
  );

program
  .command('discover')
  .description("print the source's streams (a CATALOG message)")
  .argument('<connector>')
  .option('--config <file>', 'config JSON file (or inline JSON)')
  .action((connector: string, o: { config?: string }) =>
    run(() => discoverCommand(connector, o.config, { verbosity: verbosity() }))(),
  );

program
  .command('read')
  .description('read a source and print its protocol messages')
  .argument('<connector>')
  .option('--config <file>', 'config JSON file (or inline JSON)')
  .option('--catalog <file>', 'configured catalog JSON file (default: every stream, best mode)')
  .option('--state <file>', 'state JSON file (a list of STATE messages)')
  .action((connector: string, o: { config?: string; catalog?: string; state?: string }) =>
    run(() => readCommand(connector, o, { verbosity: verbosity() }))(),
  );

program
  .command('sync')
  .description('run the connections of a project file, or one ad-hoc connection')
  .argument('[connection...]', 'connection names (default: all in the project file)')
  .option('-f, --file <file>', 'project file', 'conveyor.yml')
  .option('--source <connector>', 'ad-hoc source (for example faker)')
  .option('--destination <connector>', 'ad-hoc destination (for example duckdb)')
  .option('--source-config <json>', 'ad-hoc source config: a JSON file or inline JSON')
  .option('--destination-config <json>', 'ad-hoc destination config: a JSON file or inline JSON')
  .option('--refresh', 'start every stream over: a new generation, state cleared')
  .option('--retries <n>', 'retries after a transient failure, with backoff', '2')
  .action((names: string[], o: { file: string; source?: string; destination?: string; retries: string }) =>
    run(() => syncCommand(names, { ...o, retries: Number(o.retries) }, { verbosity: verbosity() }))(),
  );

const state = program.command('state').description("show or reset a connection's committed state");
for (const action of ['show', 'reset'] as const) {
  state
    .command(action)
    .argument('<connection>')
    .option('-f, --file <file>', 'project file', 'conveyor.yml')
    .option('--stream <name...>', 'only these streams')
    .action((name: string, o: { file: string; stream?: string[] }) =>
      run(() => stateCommand(action, name, o))(),
    );
}

program
  .command('runs')
  .description('list the run history')
  .option('-f, --file <file>', 'project file', 'conveyor.yml')
  .option('--connection <name>', 'only this connection')
  .option('--limit <n>', 'how many', '20')
  .option('--json', 'as JSON')
  .action((o: { file: string; connection?: string; limit?: string; json?: boolean }) =>
    run(() => runsCommand(o))(),
  );

program
  .command('query')
  .description("run SQL on a connection's destination (DuckDB) and print the rows")
  .argument('<connection>', 'a connection name (faker-to-duckdb for the demo)')
  .argument('<sql>')
  .option('-f, --file <file>', 'project file', 'conveyor.yml')
  .action((connection: string, sql: string, o: { file: string }) =>
    run(() => queryCommand(connection, sql, o))(),
  );

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (thrown) {
  if (thrown instanceof CommanderError) {
    process.exitCode = thrown.exitCode === 0 ? 0 : EXIT_USAGE;
  } else {
    process.stderr.write(`${describeError(thrown, verbosity() === 'debug')}\n`);
    process.exitCode = exitCodeFor(asConveyorError(thrown));
  }
}
