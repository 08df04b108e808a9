import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { source } from '../src/index.js';
import { isoFromEpochSeconds } from '../src/iso-time.js';
import { catalogOf, readAll, silentLogger } from './helpers.js';

const ctx = { signal: new AbortController().signal, logger: silentLogger };

// RFC 3339 as JSON Schema's date-time means it; ajv-formats is not a dependency of the workspace.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

describe('discover', () => {
  it('describes three incremental streams keyed by id with updated_at as cursor', async () => {
    const catalog = await source.discover({ count: 10 }, ctx);
    expect(catalog.streams.map((s) => s.name)).toEqual(['users', 'products', 'purchases']);
    for (const stream of catalog.streams) {
      expect(stream.supported_sync_modes).toEqual(['full_refresh', 'incremental']);
      expect(stream.source_defined_cursor).toBe(true);
      expect(stream.default_cursor_field).toEqual(['updated_at']);
      expect(stream.source_defined_primary_key).toEqual([['id']]);
    }
  });

  it('declares a schema every emitted record satisfies, timestamps included', async () => {
    const ajv = new Ajv({ strict: true, allErrors: true, formats: { 'date-time': RFC3339 } });
    const catalog = await source.discover({ count: 500 }, ctx);
    const { records } = await readAll({ count: 500, seed: 3 }, catalogOf(catalog.streams.map((s) => s.name)));
    for (const stream of catalog.streams) {
      const { $schema: _draft, ...schema } = stream.json_schema;
      const validate = ajv.compile(schema);
      const rows = records.get(stream.name)!;
      expect(rows.length).toBeGreaterThan(0);
      for (const record of rows) {
        if (!validate(record))
          throw new Error(`${stream.name} ${JSON.stringify(record)}: ${ajv.errorsText(validate.errors)}`);
      }
    }
  });

  it('rejects a schema-breaking record (the validation above can fail)', async () => {
    const ajv = new Ajv({ strict: true, formats: { 'date-time': RFC3339 } });
    const catalog = await source.discover({}, ctx);
    const { $schema: _draft, ...schema } = catalog.streams[0]!.json_schema;
    const { records } = await readAll({ count: 1 }, catalogOf(['users']));
    const record = { ...records.get('users')![0]!, updated_at: '2024-01-01 00:00:00' };
    expect(ajv.validate(schema, record)).toBe(false);
  });
});

describe('spec and check', () => {
  it('spec documents every config field with a default and marks nothing secret', () => {
    const spec = source.spec();
    expect(spec.documentationUrl).toMatch(/^https:\/\//);
    const properties = spec.connectionSpecification.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(properties).sort()).toEqual(['count', 'records_per_batch', 'seed']);
    expect(JSON.stringify(spec)).not.toContain('airbyte_secret');
    expect(properties.count!.default).toBe(1000);
    expect(properties.seed!.default).toBe(42);
    expect(properties.records_per_batch!.default).toBe(1000);
  });

  it('check succeeds for a valid config and fails with the field named for a bad one', async () => {
    expect(await source.check({ count: 5 }, ctx)).toEqual({ status: 'SUCCEEDED' });
    const failed = await source.check({ count: -1 }, ctx);
    expect(failed.status).toBe('FAILED');
    expect(failed.message).toContain('count');
    const typo = await source.check({ cuont: 5 } as never, ctx);
    expect(typo.status).toBe('FAILED');
    expect(typo.message).toContain('cuont');
  });
});

describe('timestamps', () => {
  it('format whole seconds exactly like Date#toISOString', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62_135_596_800, max: 253_402_300_799 }), (seconds) => {
        expect(isoFromEpochSeconds(seconds)).toBe(
          new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'),
        );
      }),
      { numRuns: 5000 },
    );
  });
});
