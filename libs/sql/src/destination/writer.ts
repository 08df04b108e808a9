// One sync's writer, the same for every SQL destination. Batches load inside an open transaction,
// so readers see none of them until `commit`, which merges deduplicated rows into place, stores
// the states and commits data and states together (exactly-once). `finish` swaps overwritten
// tables into place and removes older generations. A writer closed without commit leaves nothing.

import { batchSize, type DestinationWriter, type Logger, type RecordBatch } from '@conveyor/cdk';
import {
  type ConfiguredStream,
  ConveyorError,
  type StateMessage,
  streamKey,
  systemError,
} from '@conveyor/protocol';
import { qualify } from '../identifiers.js';
import type { DestinationDialect, TableName } from './dialect.js';
import { saveStates } from './internal-tables.js';
import { type LoadShape, loadShape, toLoadBatch } from './load-batches.js';
import { type PlanContext, planStream } from './stream-plan.js';
import { extendStreamTable, SEQUENCE_COLUMN, type StreamTable } from './table-setup.js';

interface StreamLoader {
  table: StreamTable;
  shape: LoadShape;
  /** rows staged for deduplication since the last merge */
  staged: boolean;
}

type Phase = 'writing' | 'failed' | 'finished' | 'closed';

export interface WriterOptions {
  dialect: DestinationDialect;
  tables: readonly StreamTable[];
  connectionId: string;
  logger: Logger;
  planContext: PlanContext;
}

export class SqlWriter implements DestinationWriter {
  private phase: Phase = 'writing';
  private inTransaction = false;
  private readonly loaders = new Map<string, StreamLoader>();
  private readonly dialect: DestinationDialect;
  private readonly logger: Logger;
  /** numbers staged rows across the whole sync, so later rows always rank later */
  private sequence = 0;
  /**
   * New properties mid-sync. Only where DDL is transactional: elsewhere adding a column would
   * commit the open data transaction without its states.
   */
  readonly evolve: ((stream: ConfiguredStream) => Promise<void>) | undefined;

  constructor(private readonly options: WriterOptions) {
    this.dialect = options.dialect;
    this.logger = options.logger;
    for (const table of options.tables) this.loaders.set(table.plan.key, this.loaderFor(table, false));
    this.evolve = this.dialect.transactionalDdl ? (stream) => this.addProperties(stream) : undefined;
  }

  private loaderFor(table: StreamTable, staged: boolean): StreamLoader {
    return { table, shape: loadShape(table, this.dialect.textAllowsNul), staged };
  }

  /** Starts the first transaction; called once the tables are ready. */
  async begin(): Promise<void> {
    await this.dialect.begin();
    this.inTransaction = true;
  }

  private async addProperties(configured: ConfiguredStream): Promise<void> {
    this.expectWriting('evolve');
    const plan = planStream(configured, this.options.planContext);
    const loader = this.loaders.get(plan.key);
    if (!loader || loader.table.rawData) return; // a stream kept whole in _conveyor_data has room for anything
    try {
      const table = await extendStreamTable(this.dialect, loader.table, plan, this.logger);
      this.loaders.set(plan.key, this.loaderFor(table, loader.staged));
    } catch (error) {
      this.phase = 'failed';
      throw this.failure(`adding the new properties of stream "${plan.key}"`, error);
    }
  }

  async write(batch: RecordBatch): Promise<void> {
    this.expectWriting('write');
    const key = streamKey({ name: batch.stream, namespace: batch.namespace });
    const loader = this.loaders.get(key);
    if (!loader) {
      throw systemError(`Received records for stream "${key}", which is not in the configured catalog.`);
    }
    if (batchSize(batch) === 0) return;
    try {
      const load = toLoadBatch(loader.shape, batch, this.sequence);
      this.sequence += load.rowCount;
      await this.dialect.load(loader.table.loadTable, load);
    } catch (error) {
      this.phase = 'failed';
      throw this.failure(
        `loading a batch of stream "${key}" into ${this.tableText(loader.table.loadTable)}`,
        error,
      );
    }
    if (loader.table.staging) loader.staged = true;
  }

  async commit(states: StateMessage[], seq: number): Promise<void> {
    this.expectWriting('commit');
    try {
      await this.mergeStaged();
      await saveStates(this.dialect, this.options.connectionId, seq, states);
      await this.dialect.commit();
      this.inTransaction = false;
      await this.begin();
    } catch (error) {
      this.phase = 'failed';
      throw this.failure(`committing batches and states (seq ${seq})`, error);
    }
  }

  async finish(): Promise<void> {
    this.expectWriting('finish');
    try {
      await this.mergeStaged();
      for (const { table } of this.loaders.values()) {
        const { plan } = table;
        if (plan.next || plan.minimumGenerationId <= 0) continue;
        await this.dialect.execute(
          `DELETE FROM ${this.sql(plan.final)} WHERE _conveyor_generation_id IS NULL OR _conveyor_generation_id < ${this.dialect.placeholder(1)}`,
          [plan.minimumGenerationId],
        );
      }
      // Where DDL would commit implicitly, the data is committed first and the swaps follow.
      if (this.dialect.transactionalDdl) await this.swapAll();
      await this.dialect.commit();
      this.inTransaction = false;
      if (!this.dialect.transactionalDdl) await this.swapAll();
      this.phase = 'finished';
    } catch (error) {
      this.phase = 'failed';
      throw this.failure('finishing the sync (overwrite swaps and final commit)', error);
    }
  }

  private async swapAll(): Promise<void> {
    for (const { table } of this.loaders.values()) {
      const { next, final } = table.plan;
      if (!next) continue;
      const finalExists = (await this.dialect.readColumns(final)) !== 'absent';
      for (const statement of this.dialect.swapTable(next, final, finalExists)) {
        await this.dialect.execute(statement);
      }
      this.logger.info(`Replaced ${this.tableText(final)} with the rows of this sync (overwrite).`);
    }
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    try {
      if (this.inTransaction) {
        this.inTransaction = false;
        await this.dialect.rollback().catch((error: unknown) => {
          this.logger.warn(`Rolling back uncommitted batches failed: ${String(error)}`);
        });
      }
    } finally {
      await this.dialect.close();
    }
  }

  private async mergeStaged(): Promise<void> {
    for (const loader of this.loaders.values()) {
      const { table } = loader;
      if (!table.staging || !loader.staged) continue;
      const statements = this.dialect.mergeStatements({
        final: table.plan.final,
        staging: table.staging,
        columns: table.mergeColumns,
        keyColumns: table.keyColumns,
        cursorColumn: table.cursorColumn,
        sequenceColumn: SEQUENCE_COLUMN,
      });
      for (const statement of statements) await this.dialect.execute(statement);
      loader.staged = false;
    }
  }

  private expectWriting(operation: string): void {
    if (this.phase === 'writing') return;
    const why =
      this.phase === 'failed'
        ? 'an earlier operation of this writer failed and its transaction was abandoned'
        : `the writer is already ${this.phase}`;
    throw systemError(`Cannot ${operation}: ${why}.`);
  }

  private failure(doing: string, error: unknown): Error {
    return error instanceof ConveyorError ? error : this.dialect.failure(doing, error);
  }

  private sql(table: TableName): string {
    return qualify(this.dialect.identifiers, table.schema, table.table);
  }

  private tableText(table: TableName): string {
    return table.schema === undefined ? table.table : `${table.schema}.${table.table}`;
  }
}
