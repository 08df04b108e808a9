// The generic SQL source, written once: given a spec, a config resolver and a driver factory,
// `sqlSource` makes a complete SourceConnector. check connects and lists tables; discover offers
// one stream per table or view; read runs the configured streams in catalog order over one
// connection, per table in full-refresh chunks or incrementally by cursor (see read-table.ts).

import {
  CheckpointPolicy,
  type CheckpointPolicyOptions,
  errorTrace,
  failedCheck,
  type ReadContext,
  type SourceConnector,
  type SourceOutput,
  streamFailure,
  streamStateFor,
  streamStatusTrace,
  validateConfig,
} from '@conveyor/cdk';
import {
  type Catalog,
  type ConfiguredCatalog,
  type ConfiguredStream,
  type ConnectorSpecification,
  configError,
  type JsonObject,
  SecretMasker,
  type StateMessage,
  type StreamDescriptor,
  secretValues,
  streamKey,
} from '@conveyor/protocol';
import { streamOf } from './discover.js';
import type { SourceColumn, SourceDriver, SourceTable } from './driver.js';
import { readTable, tableLabel } from './read-table.js';

export interface SqlSourceOptions<Config extends JsonObject, Resolved> {
  spec: ConnectorSpecification;
  /** Turns a config that passed the spec (defaults filled in) into what `openDriver` needs; throws config errors. */
  resolveConfig: (config: Config) => Resolved;
  /** Opens a driver (one connection) for one check, discover or read; throws classified errors. */
  openDriver: (resolved: Resolved) => Promise<SourceDriver>;
  /** Rows per keyset query (a chunk ends with a checkpoint). Default 100,000. */
  chunkRows?: number;
  /** Records per batch when the read context does not ask for another size. Default 5,000. */
  batchRows?: number;
  /** How often to checkpoint inside a chunk. Default: CheckpointPolicy's (10,000 records or 5 s). */
  checkpoint?: CheckpointPolicyOptions;
}

const DEFAULT_CHUNK_ROWS = 100_000;
const DEFAULT_BATCH_ROWS = 5_000;

function descriptorOf(table: SourceTable): StreamDescriptor {
  return table.schema === undefined ? { name: table.name } : { name: table.name, namespace: table.schema };
}

export function sqlSource<Config extends JsonObject, Resolved>(
  options: SqlSourceOptions<Config, Resolved>,
): SourceConnector<Config> {
  const { spec } = options;
  const resolve = (config: Config): Resolved => options.resolveConfig(validateConfig<Config>(spec, config));
  const masker = (config: Config) => new SecretMasker(secretValues(spec.connectionSpecification, config));

  async function withDriver<T>(config: Config, use: (driver: SourceDriver) => Promise<T>): Promise<T> {
    const driver = await options.openDriver(resolve(config));
    try {
      return await use(driver);
    } finally {
      await driver.close();
    }
  }

  async function listTables(driver: SourceDriver, operation: string): Promise<SourceTable[]> {
    try {
      return await driver.listTables();
    } catch (error) {
      throw driver.classify(error, { operation });
    }
  }

  return {
    spec: () => structuredClone(spec),

    async check(config) {
      try {
        await withDriver(config, async (driver) => {
          await driver.check?.();
          await listTables(driver, 'listing tables');
        });
        return { status: 'SUCCEEDED' };
      } catch (error) {
        const status = failedCheck(error);
        return { ...status, message: masker(config).mask(status.message ?? '') };
      }
    },

    async discover(config): Promise<Catalog> {
      return withDriver(config, async (driver) => {
        const tables = await listTables(driver, 'listing tables');
        return { streams: tables.map((table) => streamOf(driver, table)) };
      });
    },

    async *read(config, catalog, state, ctx) {
      const driver = await options.openDriver(resolve(config));
      try {
        const tables = await listTables(driver, 'listing tables');
        const planned = plan(tables, catalog);
        for (const { table, configured } of planned) {
          yield* readStream(driver, table, configured, state, ctx, masker(config));
        }
      } finally {
        await driver.close();
      }
    },
  };

  async function* readStream(
    driver: SourceDriver,
    table: SourceTable,
    configured: ConfiguredStream,
    states: StateMessage[],
    ctx: ReadContext,
    secrets: SecretMasker,
  ): AsyncGenerator<SourceOutput> {
    const descriptor = descriptorOf(table);
    yield { kind: 'message', message: streamStatusTrace(descriptor, 'STARTED') };
    try {
      const incremental = configured.sync_mode === 'incremental';
      const cursorField = incremental ? cursorOf(table, configured) : undefined;
      let running = false;
      for await (const output of readTable({
        driver,
        table,
        descriptor,
        columns: selectedColumns(table, configured, cursorField),
        syncMode: incremental ? 'incremental' : 'full_refresh',
        cursorField,
        generationId: typeof configured.generation_id === 'number' ? configured.generation_id : undefined,
        saved: streamStateFor(states, descriptor),
        policy: new CheckpointPolicy(options.checkpoint),
        batchRows: ctx.batchRecords ?? options.batchRows ?? DEFAULT_BATCH_ROWS,
        chunkRows: options.chunkRows ?? DEFAULT_CHUNK_ROWS,
        logger: ctx.logger,
        signal: ctx.signal,
      })) {
        if (!running && output.kind === 'records') {
          running = true;
          yield { kind: 'message', message: streamStatusTrace(descriptor, 'RUNNING') };
        }
        yield output;
        ctx.signal.throwIfAborted();
      }
      yield { kind: 'message', message: streamStatusTrace(descriptor, 'COMPLETE') };
    } catch (thrown) {
      const error = streamFailure(thrown, descriptor, ctx.signal);
      yield { kind: 'message', message: streamStatusTrace(descriptor, 'INCOMPLETE') };
      yield { kind: 'message', message: errorTrace(error, secrets, descriptor) };
      throw error;
    }
  }
}

/** Pairs each configured stream with its table, failing before any data moves. */
function plan(tables: SourceTable[], catalog: ConfiguredCatalog) {
  const byKey = new Map(tables.map((table) => [streamKey(descriptorOf(table)), table]));
  return catalog.streams.map((configured) => {
    const key = streamKey(configured.stream);
    const table = byKey.get(key);
    if (!table) {
      throw configError(
        `The catalog asks for stream "${key}", but no such table or view can be read (it was dropped or renamed, its schema is not included, or the user may not SELECT from it). Run discover and update the catalog.`,
        { stream: { name: configured.stream.name, namespace: configured.stream.namespace } },
      );
    }
    return { table, configured };
  });
}

function cursorOf(table: SourceTable, configured: ConfiguredStream): string {
  const path = configured.cursor_field?.length
    ? configured.cursor_field
    : configured.stream.default_cursor_field;
  const stream = descriptorOf(table);
  if (!path || path.length === 0) {
    throw configError(
      `Stream ${tableLabel(table)} is set to incremental but has no cursor field. Choose a column in the catalog (cursor_field), for example one updated on every change, or read it in full_refresh mode.`,
      { stream },
    );
  }
  if (path.length !== 1) {
    throw configError(
      `Stream ${tableLabel(table)}: the cursor field ${JSON.stringify(path)} is a nested path; a table's cursor must be one of its columns.`,
      { stream },
    );
  }
  const name = path[0] as string;
  if (!table.columns.some((c) => c.name === name)) {
    throw configError(
      `Stream ${tableLabel(table)}: the cursor field "${name}" is not a column of the table (it has: ${table.columns.map((c) => c.name).join(', ')}). Choose another cursor field, or run discover if the table changed.`,
      { stream },
    );
  }
  return name;
}

/**
 * The columns the catalog asks for (its schema's properties), in table order, always with the
 * primary key and the cursor, which the read orders and checkpoints by. A catalog whose schema
 * lists no properties asks for every column.
 */
function selectedColumns(
  table: SourceTable,
  configured: ConfiguredStream,
  cursor: string | undefined,
): SourceColumn[] {
  const properties = configured.stream.json_schema?.properties;
  if (properties === null || typeof properties !== 'object' || Object.keys(properties).length === 0) {
    return table.columns;
  }
  const wanted = new Set(Object.keys(properties));
  for (const column of table.primaryKey) wanted.add(column);
  if (cursor !== undefined) wanted.add(cursor);
  return table.columns.filter((column) => wanted.has(column.name));
}
