// The faker config as the read path uses it: defaults applied, every field checked. The spec's
// JSON Schema says the same, but the in-process launcher may hand us a config nobody validated.

import { configError } from '@conveyor/protocol';

export type FakerConfig = {
  count?: number;
  seed?: number;
  records_per_batch?: number;
};

export interface ResolvedFakerConfig {
  count: number;
  seed: number;
  recordsPerBatch: number;
}

function integerField(config: Record<string, unknown>, field: string, fallback: number, minimum?: number): number {
  const value = config[field];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw configError(
      `Config field "${field}" must be an integer, got ${JSON.stringify(value)}. Set it to a whole number or remove it to use the default (${fallback}).`,
    );
  }
  if (minimum !== undefined && value < minimum) {
    throw configError(`Config field "${field}" must be at least ${minimum}, got ${value}.`);
  }
  return value;
}

export function resolveConfig(config: unknown): ResolvedFakerConfig {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw configError('The faker config must be a JSON object such as {"count": 1000, "seed": 42}.');
  }
  const fields = config as Record<string, unknown>;
  const known = new Set(['count', 'seed', 'records_per_batch']);
  const unknown = Object.keys(fields).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw configError(
      `Unknown faker config field(s): ${unknown.join(', ')}. Allowed fields are count, seed and records_per_batch.`,
    );
  }
  return {
    count: integerField(fields, 'count', 1000, 0),
    seed: integerField(fields, 'seed', 42),
    recordsPerBatch: integerField(fields, 'records_per_batch', 5000, 1),
  };
}
