// spec, check and discover: the connector describes itself truthfully and fails politely.

import { hasField } from '@conveyor/engine';
import type { Catalog, ConnectorSpecification, JsonObject } from '@conveyor/protocol';
import { Ajv } from 'ajv';
import {
  type CaseResult,
  ending,
  errorTraces,
  expect,
  ofType,
  Skip,
  type SuiteContext,
  timed,
} from '../context.js';

const ajv = new Ajv({ strict: false, allErrors: true, logger: false, validateFormats: false });

/** Compiles a JSON Schema, ignoring a `$schema` draft marker ajv has no meta-schema for. */
export function compileSchema(schema: JsonObject): (value: unknown) => string | undefined {
  const { $schema: _draft, ...rest } = schema;
  const validate = ajv.compile(rest);
  return (value) =>
    validate(value)
      ? undefined
      : (validate.errors ?? [])
          .slice(0, 3)
          .map((e) => `${e.instancePath || '/'} ${e.message}`)
          .join('; ');
}

const CREDENTIAL =
  /(pass(word|phrase)?|secret|token|api_?key|private_?key|credential|access_?key|auth_?key)$/i;

/** Properties whose names say they hold a credential but are not marked `airbyte_secret`. */
export function unmarkedCredentials(schema: unknown, path = ''): string[] {
  if (!schema || typeof schema !== 'object') return [];
  const s = schema as Record<string, unknown>;
  const out: string[] = [];
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    if (Array.isArray(s[key]))
      for (const alt of s[key] as unknown[]) out.push(...unmarkedCredentials(alt, path));
  }
  if (s.items) out.push(...unmarkedCredentials(s.items, `${path}[]`));
  const props = s.properties;
  if (props && typeof props === 'object') {
    for (const [name, sub] of Object.entries(props as Record<string, unknown>)) {
      const where = path ? `${path}.${name}` : name;
      const subSchema = (sub ?? {}) as Record<string, unknown>;
      const marked = subSchema.airbyte_secret === true || subSchema.secret === true;
      const isText =
        subSchema.type === 'string' || (Array.isArray(subSchema.type) && subSchema.type.includes('string'));
      if (CREDENTIAL.test(name) && isText && !marked) out.push(where);
      out.push(...unmarkedCredentials(sub, where));
    }
  }
  return out;
}

export async function specSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  return [
    await timed('spec', 'one SPEC message with a valid JSON Schema', async () => {
      const run = await ctx.run(['spec']);
      const specs = ofType(run, 'SPEC');
      expect(specs.length === 1, `expected exactly one SPEC message, got ${specs.length} (${ending(run)})`);
      const spec = specs[0]!.spec as ConnectorSpecification;
      ctx.spec = spec;
      expect(
        spec.connectionSpecification && typeof spec.connectionSpecification === 'object',
        'spec.connectionSpecification is missing',
      );
      try {
        compileSchema(spec.connectionSpecification);
      } catch (error) {
        throw new Error(
          `spec.connectionSpecification is not a valid JSON Schema: ${(error as Error).message}`,
        );
      }
      return 'valid JSON Schema';
    }),
    await timed('spec', 'credential fields are marked secret', () => {
      if (!ctx.spec) throw new Skip('no spec');
      const unmarked = unmarkedCredentials(ctx.spec.connectionSpecification);
      expect(
        unmarked.length === 0,
        `these fields look like credentials but are not marked "airbyte_secret": true, so they would be shown and logged: ${unmarked.join(', ')}`,
      );
      return 'every credential-like field is secret';
    }),
    await timed('spec', 'documentation URL', () => {
      if (!ctx.spec) throw new Skip('no spec');
      const fromPackage = (ctx.connector.packageJson?.conveyor as JsonObject | undefined)?.documentationUrl;
      const url = ctx.spec.documentationUrl ?? fromPackage;
      expect(
        typeof url === 'string' && /^https?:\/\//.test(url),
        'no documentationUrl in the spec (or conveyor.documentationUrl in package.json)',
      );
      return String(url);
    }),
  ];
}

export async function checkSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const { name, config } of ctx.acceptance.configs) {
    results.push(
      await timed('check', `succeeds with config "${name}"`, async () => {
        const run = await ctx.run(['check'], { config });
        const status = ofType(run, 'CONNECTION_STATUS')[0]?.connectionStatus;
        expect(status, `no CONNECTION_STATUS message (${ending(run)})`);
        expect(
          status.status === 'SUCCEEDED',
          `check reported ${status.status}: ${status.message ?? 'no message'}`,
        );
        return 'SUCCEEDED';
      }),
    );
  }
  for (const { name, config, reason } of ctx.acceptance.invalidConfigs) {
    results.push(
      await timed('check', `fails politely with invalid config "${name}"`, async () => {
        const run = await ctx.run(['check'], { config });
        expect(
          !/\n\s+at .+:\d+:\d+\)?/.test(run.stderr),
          `a stack trace on stderr: the check crashed (${ending(run)})`,
        );
        const status = ofType(run, 'CONNECTION_STATUS')[0]?.connectionStatus;
        const traces = errorTraces(run);
        expect(
          status !== undefined || traces.length > 0,
          `no CONNECTION_STATUS and no error TRACE: the check crashed (${ending(run)})`,
        );
        if (status) {
          expect(
            status.status === 'FAILED',
            `check reported ${status.status} for a config that is invalid (${reason})`,
          );
          expect(
            status.message && status.message.trim().length > 0,
            'check reported FAILED without a message saying what is wrong',
          );
          return `FAILED: ${status.message}`;
        }
        return `error: ${traces[0]}`;
      }),
    );
  }
  if (ctx.acceptance.invalidConfigs.length === 0) {
    results.push(
      await timed('check', 'invalid configs', () => {
        throw new Skip('acceptance.yml lists no invalid_configs');
      }),
    );
  }
  return results;
}

export async function discoverSuite(ctx: SuiteContext): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const { name, config } of ctx.acceptance.configs) {
    results.push(
      await timed('discover', `valid catalog with config "${name}"`, async () => {
        const run = await ctx.run(['discover'], { config });
        const catalog = ofType(run, 'CATALOG')[0]?.catalog as Catalog | undefined;
        expect(catalog, `no CATALOG message (${ending(run)})`);
        expect(Array.isArray(catalog.streams) && catalog.streams.length > 0, 'the catalog has no streams');
        const problems: string[] = [];
        for (const stream of catalog.streams) {
          try {
            compileSchema(stream.json_schema);
          } catch (error) {
            problems.push(
              `stream "${stream.name}": json_schema is not a valid JSON Schema (${(error as Error).message})`,
            );
            continue;
          }
          const modes = stream.supported_sync_modes ?? [];
          if (modes.length === 0 || !modes.every((m) => m === 'full_refresh' || m === 'incremental')) {
            problems.push(
              `stream "${stream.name}": supported_sync_modes must list full_refresh and/or incremental`,
            );
          }
          for (const key of stream.source_defined_primary_key ?? []) {
            if (!hasField(stream.json_schema, key)) {
              problems.push(`stream "${stream.name}": primary key ${key.join('.')} is not in its schema`);
            }
          }
          if (
            stream.default_cursor_field?.length &&
            !hasField(stream.json_schema, stream.default_cursor_field)
          ) {
            problems.push(
              `stream "${stream.name}": cursor ${stream.default_cursor_field.join('.')} is not in its schema`,
            );
          }
          if (
            modes.includes('incremental') &&
            stream.source_defined_cursor &&
            !stream.default_cursor_field?.length
          ) {
            problems.push(
              `stream "${stream.name}": incremental with a source-defined cursor but no default_cursor_field`,
            );
          }
        }
        expect(problems.length === 0, problems.join('; '));
        ctx.catalogs.set(name, catalog);
        return `${catalog.streams.length} stream(s)`;
      }),
    );
  }
  return results;
}
