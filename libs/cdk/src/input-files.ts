// The JSON files the protocol CLI is given: config, configured catalog, state. Errors name the
// file and what to do; a JSON syntax error reports a line and column but never quotes the text,
// because a config holds secrets and has not been validated yet (so they are not known).

import { readFile } from 'node:fs/promises';
import { type ConfiguredCatalog, configError, type StateMessage } from '@conveyor/protocol';
import { statesFromJson } from './state.js';

const READ_PROBLEMS: Record<string, string> = {
  ENOENT: 'does not exist',
  EACCES: 'cannot be read (permission denied)',
  EISDIR: 'is a directory, not a file',
};

async function readJsonFile(path: string, what: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const problem = READ_PROBLEMS[code] ?? `cannot be read (${code || String(error)})`;
    throw configError(`The ${what} file "${path}" ${problem}. Pass the path of a JSON file with ${flag}.`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const position = error instanceof Error ? /position (\d+)/.exec(error.message)?.[1] : undefined;
    const where = position === undefined ? '' : ` at ${lineAndColumn(text, Number(position))}`;
    throw configError(`The ${what} file "${path}" is not valid JSON${where}. Fix the file and try again.`);
  }
}

function lineAndColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  const json = await readJsonFile(path, 'config', '--config');
  if (!isObject(json)) {
    throw configError(
      `The config file "${path}" must hold a JSON object ({ ... }), not ${Array.isArray(json) ? 'a list' : typeof json}.`,
    );
  }
  return json;
}

export async function readCatalogFile(path: string): Promise<ConfiguredCatalog> {
  const json = await readJsonFile(path, 'catalog', '--catalog');
  const streams = isObject(json) ? json.streams : undefined;
  if (!Array.isArray(streams)) {
    throw configError(
      `The catalog file "${path}" is not a configured catalog: it needs a "streams" list. Build one from the output of discover.`,
    );
  }
  streams.forEach((entry: unknown, i) => {
    const stream = isObject(entry) ? entry.stream : undefined;
    const problem = !isObject(stream)
      ? 'has no "stream" object'
      : typeof stream.name !== 'string' || stream.name === ''
        ? 'has no "stream.name"'
        : !isObject(entry) || (entry.sync_mode !== 'full_refresh' && entry.sync_mode !== 'incremental')
          ? 'needs "sync_mode": "full_refresh" or "incremental"'
          : undefined;
    if (problem)
      throw configError(`The catalog file "${path}" is not a configured catalog: streams[${i}] ${problem}.`);
  });
  return json as ConfiguredCatalog;
}

export async function readStateFile(path: string): Promise<StateMessage[]> {
  const json = await readJsonFile(path, 'state', '--state');
  const states = statesFromJson(json);
  if (!states) {
    throw configError(
      `The state file "${path}" holds no state this connector understands: give a list of STATE messages (as a previous read emitted them) or one state object.`,
    );
  }
  return states;
}
