// `sqlDestination`: a whole `DestinationConnector` from a spec, a config resolver and a dialect
// factory, so that a new SQL destination is mostly configuration. Check, open (plan, prepare,
// write), committed states and `conveyor query` are the same for every database.

import { randomUUID } from 'node:crypto';
import { type DestinationConnector, failedCheck } from '@conveyor/cdk';
import { type ConnectorSpecification, ConveyorError, configError, type JsonObject } from '@conveyor/protocol';
import { type DestinationDialect, type DialectFactory, runStatements } from './dialect.js';
import { readStates } from './internal-tables.js';
import { type PlanContext, planStreams } from './stream-plan.js';
import { ensureSchema, prepareTables } from './table-setup.js';
import { SqlWriter } from './writer.js';

/** What the core needs from every resolved config. */
export interface SqlDestinationSettings {
  /** schema of streams without a namespace; undefined where the dialect has no schemas */
  schema: string | undefined;
}

export interface SqlDestinationOptions<Config extends JsonObject, Resolved extends SqlDestinationSettings> {
  /** the database's name in messages: `PostgreSQL`, `SQLite` */
  databaseName: string;
  spec: ConnectorSpecification;
  /** validates the config against the spec and narrows it; throws config errors */
  resolveConfig(config: Config): Resolved;
  openDialect: DialectFactory<Resolved>;
  /** where the data lands, for log lines and messages, without secrets: `database "x" on host:5432` */
  describe(resolved: Resolved): string;
}

export function sqlDestination<Config extends JsonObject, Resolved extends SqlDestinationSettings>(
  options: SqlDestinationOptions<Config, Resolved>,
): DestinationConnector<Config> {
  const { databaseName } = options;

  const open = async (resolved: Resolved, purpose: 'write' | 'check'): Promise<DestinationDialect> => {
    const dialect = await options.openDialect(resolved, purpose);
    if (!dialect) throw configError(`Could not open ${options.describe(resolved)}.`);
    return dialect;
  };

  return {
    spec: () => options.spec,

    async check(config) {
      try {
        const resolved = options.resolveConfig(config);
        const dialect = await open(resolved, 'check');
        try {
          const schema = dialect.hasSchemas ? resolved.schema : undefined;
          const probe = { schema, table: `_conveyor_check_${randomUUID().slice(0, 8)}` };
          try {
            await ensureSchema(dialect, schema);
            await runStatements(
              dialect,
              dialect.createTable(probe, [{ name: 'ok', type: dialect.columnType('boolean') }]),
            );
            await runStatements(dialect, dialect.dropTable(probe));
          } catch (error) {
            const where =
              schema === undefined
                ? options.describe(resolved)
                : `schema "${schema}" of ${options.describe(resolved)}`;
            throw dialect.failure(`creating and dropping a test table in ${where}`, error);
          }
        } finally {
          await dialect.close();
        }
        return { status: 'SUCCEEDED' };
      } catch (error) {
        return failedCheck(error);
      }
    },

    async open(config, catalog, ctx) {
      const resolved = options.resolveConfig(config);
      const dialect = await open(resolved, 'write');
      try {
        const planContext: PlanContext = {
          rules: dialect.identifiers,
          hasSchemas: dialect.hasSchemas,
          internalSchema: dialect.internalSchema,
          defaultSchema: resolved.schema,
          databaseName,
        };
        const plans = planStreams(catalog, planContext);
        const tables = await prepareTables(dialect, plans, ctx.logger).catch((error: unknown) => {
          throw error instanceof ConveyorError
            ? error
            : dialect.failure(`preparing the tables in ${options.describe(resolved)}`, error);
        });
        const writer = new SqlWriter({
          dialect,
          tables,
          connectionId: ctx.connectionId,
          logger: ctx.logger,
          planContext,
        });
        await writer.begin();
        ctx.logger.info(`Writing ${tables.length} stream(s) to ${options.describe(resolved)}.`);
        return writer;
      } catch (error) {
        await dialect.close().catch(() => undefined);
        throw error;
      }
    },

    async committedStates(config, connectionId) {
      const resolved = options.resolveConfig(config);
      const dialect = await options.openDialect(resolved, 'read');
      if (!dialect) return undefined;
      try {
        return await readStates(dialect, connectionId);
      } catch (error) {
        throw error instanceof ConveyorError
          ? error
          : dialect.failure(`reading the committed states of connection "${connectionId}"`, error);
      } finally {
        await dialect.close();
      }
    },

    async query(config, sql) {
      const resolved = options.resolveConfig(config);
      const dialect = await options.openDialect(resolved, 'read');
      if (!dialect) {
        throw configError(`${options.describe(resolved)} does not exist yet: run a sync into it first.`);
      }
      try {
        return await dialect.userQuery(sql);
      } catch (error) {
        if (error instanceof ConveyorError) throw error;
        const detail = error instanceof Error ? error.message : String(error);
        throw configError(`${databaseName} could not run the query: ${detail.split('\n')[0]}`, {
          internalMessage: detail,
        });
      } finally {
        await dialect.close();
      }
    },
  };
}
