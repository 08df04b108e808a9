// `acceptance.yml` beside a connector: its inputs (configs, catalogs, states) and its expected
// outputs. Paths in it are relative to the file. Every mistake names the file and the entry.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { configError, type JsonObject, substituteEnv } from '@conveyor/protocol';
import { parse } from 'yaml';

export interface NamedConfig {
  name: string;
  config: JsonObject;
}

export interface InvalidConfig extends NamedConfig {
  /** What is wrong with it, for the report. */
  reason: string;
}

export interface AcceptanceFile {
  file: string;
  dir: string;
  /** The connector under test when `conveyor test` is given a folder or this file. */
  connector?: string;
  kind: 'source' | 'destination';
  configs: NamedConfig[];
  invalidConfigs: InvalidConfig[];
  /** A configured catalog for reads; the default selects every stream, incremental where it can. */
  catalog?: JsonObject;
  /** States to start reads from, in addition to the empty state. */
  states: Array<{ name: string; state: JsonObject[] }>;
  expectedRecords?: { records: Array<{ stream: string; data: JsonObject }>; mode: 'exact' | 'subset' };
  /** Fields left out when records are compared: per stream, top-level names. */
  ignoredFields: Record<string, string[]>;
  /** Fields that legitimately differ between two reads (timestamps of the read itself). */
  volatileFields: Record<string, string[]>;
  emptyStreams: Array<{ name: string; reason: string }>;
  /** How many reads the interruption suite kills (default 3). */
  interruptions: number;
  /** For destinations: messages (RECORD and STATE) to write, from a JSON-lines file. */
  writeInput?: JsonObject[];
  /** Suites to skip, each with the reason the report shows. */
  skip: Record<string, string>;
  /** Where the spec and catalog of the last published version are kept (compatibility suite). */
  releasedSnapshot: string;
  /** Recorded HTTP traffic: reads replay it offline; `--record` makes it against the real service. */
  cassette?: string;
}

type Raw = Record<string, unknown>;

function fail(file: string, where: string, what: string): never {
  throw configError(`${file}: ${where}: ${what}`);
}

function readJsonOrInline(file: string, dir: string, value: unknown, where: string): unknown {
  if (typeof value !== 'string') return value;
  const path = isAbsolute(value) ? value : join(dir, value);
  if (!existsSync(path))
    fail(file, where, `the file ${value} does not exist (paths are relative to acceptance.yml).`);
  const text = readFileSync(path, 'utf8');
  try {
    return path.endsWith('.jsonl')
      ? text
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as unknown)
      : (JSON.parse(text) as unknown);
  } catch (error) {
    return fail(file, where, `${value} is not valid JSON (${(error as Error).message}).`);
  }
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function configs(
  file: string,
  dir: string,
  raw: unknown,
  key: string,
): Array<NamedConfig & { reason?: string }> {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) fail(file, key, 'must be a list of { name, config } entries.');
  return raw.map((entry: unknown, i) => {
    const where = `${key}[${i}]`;
    if (!isObject(entry)) fail(file, where, 'must be { name, config } (config inline or a JSON file path).');
    const raw = readJsonOrInline(file, dir, entry.config, `${where}.config`);
    // ${VAR} and ${VAR:-default}: a real token for --record from the environment, a stand-in for replay
    const config = substituteEnv(raw, `${file}: ${where}.config`);
    if (!isObject(config))
      fail(file, `${where}.config`, 'must be a JSON object or the path of a JSON file holding one.');
    return {
      name: typeof entry.name === 'string' ? entry.name : `${key} ${i + 1}`,
      config,
      ...(typeof entry.reason === 'string' ? { reason: entry.reason } : {}),
    };
  });
}

function fieldMap(file: string, raw: unknown, key: string): Record<string, string[]> {
  if (raw === undefined) return {};
  if (!isObject(raw)) fail(file, key, 'must map stream names to lists of field names.');
  const out: Record<string, string[]> = {};
  for (const [stream, fields] of Object.entries(raw)) {
    if (!Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) {
      fail(file, `${key}.${stream}`, 'must be a list of field names.');
    }
    out[stream] = fields as string[];
  }
  return out;
}

export function readAcceptanceFile(file: string): AcceptanceFile {
  if (!existsSync(file)) {
    throw configError(
      `No acceptance file at ${file}. Write one beside the connector (see libs/testing/README.md): configs, invalid_configs and expected records are all it needs.`,
    );
  }
  const dir = dirname(file);
  let raw: Raw;
  try {
    const parsed = parse(readFileSync(file, 'utf8')) as unknown;
    raw = isObject(parsed) ? parsed : fail(file, 'top level', 'must be a mapping.');
  } catch (error) {
    if ((error as { failureType?: string }).failureType) throw error;
    throw configError(`${file} is not valid YAML: ${(error as Error).message}`);
  }
  const known = new Set([
    'connector',
    'kind',
    'configs',
    'invalid_configs',
    'catalog',
    'states',
    'expected_records',
    'ignored_fields',
    'volatile_fields',
    'empty_streams',
    'interruptions',
    'write_input',
    'skip',
    'cassette',
  ]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) fail(file, key, `is not a known key (known: ${[...known].join(', ')}).`);
  }
  const kind = raw.kind ?? 'source';
  if (kind !== 'source' && kind !== 'destination') fail(file, 'kind', 'must be source or destination.');
  const valid = configs(file, dir, raw.configs, 'configs');
  if (valid.length === 0)
    fail(
      file,
      'configs',
      'give at least one valid config (an empty {} is fine if the connector needs none).',
    );

  let expectedRecords: AcceptanceFile['expectedRecords'];
  if (raw.expected_records !== undefined) {
    const spec = isObject(raw.expected_records) ? raw.expected_records : { path: raw.expected_records };
    const records = readJsonOrInline(file, dir, spec.path, 'expected_records.path');
    if (
      !Array.isArray(records) ||
      !records.every((r) => isObject(r) && typeof r.stream === 'string' && isObject(r.data))
    ) {
      fail(file, 'expected_records', 'must be a JSON-lines file of {"stream": ..., "data": {...}} lines.');
    }
    const mode = spec.mode ?? 'subset';
    if (mode !== 'exact' && mode !== 'subset')
      fail(file, 'expected_records.mode', 'must be exact or subset.');
    expectedRecords = { records: records as Array<{ stream: string; data: JsonObject }>, mode };
  }

  const catalog = raw.catalog === undefined ? undefined : readJsonOrInline(file, dir, raw.catalog, 'catalog');
  if (catalog !== undefined && !isObject(catalog))
    fail(file, 'catalog', 'must be a configured catalog object or a JSON file.');

  const states = Array.isArray(raw.states)
    ? raw.states.map((entry: unknown, i) => {
        const e = isObject(entry) ? entry : fail(file, `states[${i}]`, 'must be { name, state }.');
        const state = readJsonOrInline(file, dir, e.state, `states[${i}].state`);
        if (!Array.isArray(state)) fail(file, `states[${i}].state`, 'must be a list of STATE messages.');
        return { name: typeof e.name === 'string' ? e.name : `state ${i + 1}`, state: state as JsonObject[] };
      })
    : [];

  const emptyStreams = Array.isArray(raw.empty_streams)
    ? raw.empty_streams.map((entry: unknown, i) => {
        if (!isObject(entry) || typeof entry.name !== 'string' || typeof entry.reason !== 'string') {
          fail(file, `empty_streams[${i}]`, 'must be { name, reason }: say why the stream may be empty.');
        }
        return { name: entry.name, reason: entry.reason };
      })
    : [];

  const writeInput =
    raw.write_input === undefined ? undefined : readJsonOrInline(file, dir, raw.write_input, 'write_input');
  if (writeInput !== undefined && (!Array.isArray(writeInput) || !writeInput.every(isObject))) {
    fail(file, 'write_input', 'must be a JSON-lines file of RECORD and STATE messages.');
  }
  if (kind === 'destination' && writeInput === undefined) {
    fail(
      file,
      'write_input',
      'a destination needs messages to write: a JSON-lines file of RECORD and STATE messages.',
    );
  }

  const skip: Record<string, string> = {};
  if (raw.skip !== undefined) {
    if (!isObject(raw.skip)) fail(file, 'skip', 'must map suite names to the reason they are skipped.');
    for (const [suite, reason] of Object.entries(raw.skip)) {
      if (typeof reason !== 'string' || !reason.trim()) fail(file, `skip.${suite}`, 'needs a reason.');
      skip[suite] = reason;
    }
  }
  const interruptions = raw.interruptions ?? 3;
  if (typeof interruptions !== 'number' || !Number.isInteger(interruptions) || interruptions < 0) {
    fail(file, 'interruptions', 'must be a whole number of killed reads (0 turns the suite off).');
  }

  return {
    file,
    dir,
    ...(typeof raw.connector === 'string' ? { connector: raw.connector } : {}),
    kind,
    configs: valid,
    invalidConfigs: configs(file, dir, raw.invalid_configs, 'invalid_configs').map((c) => ({
      ...c,
      reason: c.reason ?? 'invalid',
    })),
    ...(catalog ? { catalog: catalog as JsonObject } : {}),
    states,
    ...(expectedRecords ? { expectedRecords } : {}),
    ignoredFields: fieldMap(file, raw.ignored_fields, 'ignored_fields'),
    volatileFields: fieldMap(file, raw.volatile_fields, 'volatile_fields'),
    emptyStreams,
    interruptions,
    ...(writeInput ? { writeInput: writeInput as JsonObject[] } : {}),
    skip,
    releasedSnapshot: join(dir, 'acceptance', 'released.json'),
    ...(raw.cassette === undefined
      ? {}
      : typeof raw.cassette === 'string'
        ? { cassette: isAbsolute(raw.cassette) ? raw.cassette : join(dir, raw.cassette) }
        : fail(file, 'cassette', 'must be the path of a cassette file, like acceptance/cassette.json.')),
  };
}
