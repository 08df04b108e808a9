// The protocol's command line, parsed by hand: five commands and three flags do not need a parser
// library, and errors here can say exactly what the connector expected.

import { configError } from '@conveyor/protocol';

export type Command = 'spec' | 'check' | 'discover' | 'read' | 'write';
export type ConnectorKind = 'source' | 'destination';

export interface ParsedArguments {
  command: Command;
  config?: string;
  catalog?: string;
  state?: string;
}

type Flag = 'config' | 'catalog' | 'state';

const COMMANDS: Record<Command, { kinds: ConnectorKind[]; required: Flag[]; optional: Flag[] }> = {
  spec: { kinds: ['source', 'destination'], required: [], optional: [] },
  check: { kinds: ['source', 'destination'], required: ['config'], optional: [] },
  discover: { kinds: ['source'], required: ['config'], optional: [] },
  read: { kinds: ['source'], required: ['config', 'catalog'], optional: ['state'] },
  write: { kinds: ['destination'], required: ['config', 'catalog'], optional: [] },
};

export function usage(kind: ConnectorKind): string {
  const lines = (Object.keys(COMMANDS) as Command[])
    .filter((command) => COMMANDS[command].kinds.includes(kind))
    .map((command) => {
      const { required, optional } = COMMANDS[command];
      const flags = [...required.map((f) => `--${f} FILE`), ...optional.map((f) => `[--${f} FILE]`)];
      return `  ${[command, ...flags].join(' ')}${command === 'write' ? '   (messages on stdin)' : ''}`;
    });
  return `Usage:\n${lines.join('\n')}`;
}

function isCommand(word: string | undefined): word is Command {
  return word !== undefined && Object.hasOwn(COMMANDS, word);
}

export function parseArguments(argv: readonly string[], kind: ConnectorKind): ParsedArguments {
  const [word, ...rest] = argv;
  const help = ` Run it as one of:\n${usage(kind)}`;
  if (!isCommand(word) || !COMMANDS[word].kinds.includes(kind)) {
    const got = word === undefined ? 'no command was given' : `"${word}" is not a ${kind} command`;
    throw configError(`This ${kind} connector needs a command, but ${got}.${help}`);
  }
  const { required, optional } = COMMANDS[word];
  const allowed = new Set<string>([...required, ...optional]);
  const parsed: ParsedArguments = { command: word };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    const match = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    const flag = match?.[1];
    if (!match || flag === undefined || !allowed.has(flag)) {
      throw configError(`"${word}" does not take the argument "${arg}".${help}`);
    }
    const value = match[2] ?? rest[++i];
    if (value === undefined || value === '')
      throw configError(`--${flag} needs a file path after it.${help}`);
    parsed[flag as Flag] = value;
  }
  const missing = required.filter((flag) => parsed[flag] === undefined);
  if (missing.length > 0) {
    throw configError(`"${word}" needs ${missing.map((f) => `--${f} FILE`).join(' and ')}.${help}`);
  }
  return parsed;
}
