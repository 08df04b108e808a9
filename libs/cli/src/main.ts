#!/usr/bin/env node

// The `conveyor` command. Argument parsing only; each command lives in commands.ts.

import './heap-tuning.js';
import { asConveyorError } from '@conveyor/protocol';
import './manifest-launcher.js';
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
import {
  approveCommand,
  type ConnectorsOptions,
  historyCommand,
  installCommand,
  listCommand,
  outdatedCommand,
  parsePolicy,
  pinCommand,
  policyCommand,
  rollbackCommand,
  unpinCommand,
  updateCommand,
  watchCommand,
} from './connectors-command.js';
import { healthCommand, healthHistoryCommand, schemaCommand } from './health-command.js';
import { describeError, EXIT_USAGE, exitCodeFor, type Verbosity } from './output.js';
import type { TestOptions } from './test-command.js';

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
  .description("run SQL on a connection's destination (DuckDB, Postgres, MySQL, SQLite) and print the rows")
  .argument('<connection>', 'a connection name (faker-to-duckdb for the demo)')
  .argument('<sql>')
  .option('-f, --file <file>', 'project file', 'conveyor.yml')
  .action((connection: string, sql: string, o: { file: string }) =>
    run(() => queryCommand(connection, sql, o))(),
  );

program
  .command('test')
  .description(
    'run the acceptance test kit on a connector, from the inputs and outputs in its acceptance.yml',
  )
  .argument(
    '<connector>',
    'a connector folder, a package name, exec:PATH, or an acceptance.yml that names one',
  )
  .option('--acceptance <file>', 'the acceptance file (default: acceptance.yml beside the connector)')
  .option('--suite <name...>', 'only these suites')
  .option('--junit <file>', 'also write JUnit XML here')
  .option('--seed <n>', 'seed for the random kill points (printed with every report)')
  .option(
    '--write-released',
    "record the spec and catalog as the released version's (acceptance/released.json)",
  )
  .option(
    '--record',
    'run against the real service and write the cassette named in acceptance.yml (secrets scrubbed)',
  )
  .action((connector: string, o: TestOptions) =>
    // the acceptance kit loads only for this command (it is a fifth of every command's start-up)
    run(async () => (await import('./test-command.js')).testCommand(connector, o))(),
  );

// `conveyor health history [CONNECTION]` is read here rather than as a subcommand, so that --json
// and --limit belong to it whichever way they are written
program
  .command('health')
  .description(
    "check connections: both sides' check, discover, a bounded sample read; schema changes and drift; alerts on transitions",
  )
  .argument('[connection...]', 'connection names (default: every connection), or `history [CONNECTION]`')
  .option('-f, --file <file>', 'project file', 'conveyor.yml')
  .option('--sample <n>', 'records read per stream (default: health.sample_records, 100)')
  .option('--webhook <url>', 'POST alerts here (default: the alerts.webhook of the connection or project)')
  .option('--watch', 'keep checking (every 15m unless --every or --cron says otherwise)')
  .option('--every <interval>', 'keep checking at this interval: 30s, 15m, 2h, 1d')
  .option('--cron <expression>', 'keep checking on a five-field cron expression (UTC), like "*/15 * * * *"')
  .option('--limit <n>', 'with `health history`: how many checks and alerts', '30')
  .option('--json', 'as JSON')
  .action(
    (
      names: string[],
      o: {
        limit?: string;
        file: string;
        sample?: string;
        webhook?: string;
        watch?: boolean;
        every?: string;
        cron?: string;
        json?: boolean;
      },
    ) =>
      run(() =>
        names[0] === 'history'
          ? healthHistoryCommand(names[1], o)
          : healthCommand(names, { ...o, verbosity: verbosity() }),
      )(),
  );
const schema = program
  .command('schema')
  .description("a connection's schema changes: list them, approve them");
for (const action of ['diff', 'approve'] as const) {
  schema
    .command(action)
    .description(
      action === 'diff'
        ? 'what changed in the source since the accepted schema, classified'
        : "accept the source's current schema (held and breaking changes included)",
    )
    .argument('<connection>')
    .option('-f, --file <file>', 'project file', 'conveyor.yml')
    .option('--json', 'as JSON')
    .action((name: string, o: { file: string; json?: boolean }) =>
      run(() => schemaCommand(action, name, { ...o, verbosity: verbosity() }))(),
    );
}

const connectors = program
  .command('connectors')
  .description(
    'connectors this instance installs from a registry: install, update under a policy, roll back',
  );
type Flags = { file: string; registry?: string; by?: string; json?: boolean };
const cOpts = (o: Flags): ConnectorsOptions => ({ ...o, verbosity: verbosity() });
const common = (c: Command) =>
  c
    .option(
      '-f, --file <file>',
      'project file (its connections give the configs updates are tried with)',
      'conveyor.yml',
    )
    .option(
      '--registry <url>',
      'registry URL (default: $CONVEYOR_REGISTRY, then the one a package came from)',
    )
    .option('--by <name>', 'who acts, for the record (default: $CONVEYOR_ACTOR or the OS user)')
    .option('--json', 'as JSON');

common(connectors.command('install'))
  .description('install a connector package from the registry and make it the version that runs')
  .argument('<package>', 'name with an optional version or range, like @conveyor/source-faker@^0.1')
  .option('--auto <level>', 'updates applied automatically: none, patch or minor (default minor)')
  .option('--major <rule>', 'major versions: approve (default) or after-deadline')
  .action((spec: string, o: Flags & { auto?: string; major?: string }) =>
    run(() => installCommand(spec, { ...cOpts(o), ...parsePolicy(o) }))(),
  );
common(connectors.command('list'))
  .description('installed connectors, the version each runs and its update policy')
  .action((o: Flags) => run(() => listCommand(cOpts(o)))());
common(connectors.command('outdated'))
  .description('what the registry has that is newer, and what an update would do')
  .action((o: Flags) => run(() => outdatedCommand(cOpts(o)))());
common(connectors.command('update'))
  .description('apply the update policy: try each new version, switch only when it passes')
  .argument('[package]')
  .action((pkg: string | undefined, o: Flags) => run(() => updateCommand(pkg, cOpts(o)))());
common(connectors.command('approve'))
  .description('approve a major version (a breaking change) for the next update')
  .argument('<package@version>')
  .action((spec: string, o: Flags) => run(() => approveCommand(spec, cOpts(o)))());
common(connectors.command('pin'))
  .description('run exactly this version and take no updates')
  .argument('<package@version>')
  .action((spec: string, o: Flags) => run(() => pinCommand(spec, cOpts(o)))());
common(connectors.command('unpin'))
  .description('take updates again')
  .argument('<package>')
  .action((pkg: string, o: Flags) => run(() => unpinCommand(pkg, cOpts(o)))());
common(connectors.command('rollback'))
  .description('go back to the version that ran before the last switch')
  .argument('<package>')
  .option('--reason <text>', 'why, for the record')
  .action((pkg: string, o: Flags & { reason?: string }) =>
    run(() => rollbackCommand(pkg, { ...cOpts(o), ...o }))(),
  );
common(connectors.command('policy'))
  .description("set a connector's update policy")
  .argument('<package>')
  .option('--auto <level>', 'none, patch or minor')
  .option('--major <rule>', 'approve or after-deadline')
  .action((pkg: string, o: Flags & { auto?: string; major?: string }) =>
    run(() => policyCommand(pkg, parsePolicy(o), cOpts(o)))(),
  );
common(connectors.command('history'))
  .description('installs, updates, holds, refusals, approvals and rollbacks, newest first')
  .argument('[package]')
  .option('--limit <n>', 'how many', '50')
  .action((pkg: string | undefined, o: Flags & { limit?: string }) =>
    run(() => historyCommand(pkg, { ...cOpts(o), ...(o.limit ? { limit: o.limit } : {}) }))(),
  );
common(connectors.command('watch'))
  .description('poll the registry and apply the update policy at an interval, until stopped')
  .option('--interval <seconds>', 'seconds between polls', '300')
  .option('--rounds <n>', 'stop after this many polls (default: never)')
  .action((o: Flags & { interval: string; rounds?: string }) =>
    run(() => watchCommand({ ...cOpts(o), ...o }))(),
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
