// The DuckDB destination: check, open a writer, and report the states committed with the data.

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type DestinationConnector, failedCheck } from '@conveyor/cdk';
import { configError } from '@conveyor/protocol';
import { planStreams } from '@conveyor/sql';
import { BatchFile } from './batch-file.js';
import { type DuckDBDestinationConfig, resolveConfig, spec } from './config.js';
import { duckdbFailure, openDatabase } from './database.js';
import { qualifiedName, quoteIdentifier, streamPlanContext } from './identifiers.js';
import { readStates } from './internal-tables.js';
import { prepareTables } from './table-setup.js';
import { DuckDBWriter } from './writer.js';

export const destination: DestinationConnector<DuckDBDestinationConfig> = {
  spec: () => spec,

  async check(config) {
    try {
      const { path, schema } = resolveConfig(config);
      const database = await openDatabase(path);
      try {
        const probe = qualifiedName({ schema, table: `_conveyor_check_${randomUUID()}` });
        await database.connection.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(schema)}`);
        await database.connection.run(`CREATE TABLE ${probe} (ok BOOLEAN)`);
        await database.connection.run(`DROP TABLE ${probe}`);
      } catch (error) {
        throw duckdbFailure(`creating a table in schema ${schema} of ${path}`, error);
      } finally {
        database.close();
      }
      return { status: 'SUCCEEDED' };
    } catch (error) {
      return failedCheck(error);
    }
  },

  async open(config, catalog, ctx) {
    const { path, schema, memoryLimit, threads } = resolveConfig(config);
    const context = streamPlanContext(schema);
    const plans = planStreams(catalog, context);
    const database = await openDatabase(path);
    let batchFile: BatchFile | undefined;
    try {
      // SET takes no parameters; the value matched spec.json's size pattern, so it is only digits and a unit.
      await database.connection.run(`SET memory_limit = '${memoryLimit}'`);
      await database.connection.run(`SET threads = ${Math.trunc(threads)}`);
      const tables = await prepareTables(database.connection, plans, ctx.logger).catch((error: unknown) => {
        throw duckdbFailure(`preparing the tables of ${path}`, error);
      });
      batchFile = await BatchFile.create();
      const writer = new DuckDBWriter(
        database,
        tables,
        batchFile,
        ctx.connectionId,
        ctx.logger,
        context,
        memoryLimit,
      );
      await writer.start();
      ctx.logger.info(`Writing ${tables.length} stream(s) to ${path}.`);
      return writer;
    } catch (error) {
      database.close();
      await batchFile?.remove();
      throw error;
    }
  },

  async query(config, sql) {
    const { path } = resolveConfig(config);
    if (!existsSync(path)) {
      throw configError(`The DuckDB file ${path} does not exist yet: run a sync into it first.`);
    }
    const database = await openDatabase(path);
    try {
      const reader = await database.connection.runAndReadAll(sql);
      return { columns: reader.columnNames(), rows: reader.getRowsJson() as unknown[][] };
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw configError(`DuckDB could not run the query: ${detail.split('\n')[0]}`, {
        internalMessage: detail,
      });
    } finally {
      database.close();
    }
  },

  async committedStates(config, connectionId) {
    const { path } = resolveConfig(config);
    // Asking must not create the file: a missing file simply holds no states.
    if (!existsSync(path)) return undefined;
    const database = await openDatabase(path);
    try {
      return await readStates(database.connection, connectionId);
    } catch (error) {
      throw duckdbFailure(`reading the committed states of connection "${connectionId}" from ${path}`, error);
    } finally {
      database.close();
    }
  },
};
