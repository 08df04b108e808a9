// One sync's writer. Batches are loaded (objects-appender.ts, load-sql.ts) inside an open DuckDB
// transaction, so readers see none of them until `commit`, which moves deduplicated rows into
// place, stores the states and commits data and states together. Memory: what one transaction
// appends costs about 50 MiB per million rows until it commits (the engine commits every 50k rows
// that a state covers, and a stream's rows staged until finish one row group at a time), and the blocks of
// committed data are released after each commit.

import {
  batchSize,
  type DestinationWriter,
  type Logger,
  type RecordBatch,
  RejectedRecordLine,
} from '@conveyor/cdk';
import {
  type ConfiguredStream,
  ConveyorError,
  type StateMessage,
  streamKey,
  systemError,
} from '@conveyor/protocol';
import { type PlanContext, planStream } from '@conveyor/sql';
import {
  BIGINT,
  type DuckDBListValue,
  type DuckDBPreparedStatement,
  LIST,
  listValue,
  UINTEGER,
  VARCHAR,
} from '@duckdb/node-api';
import type { BatchFile } from './batch-file.js';
import { type Database, duckdbFailure } from './database.js';
import { dedupStatements } from './dedup-sql.js';
import { quoteIdentifier } from './identifiers.js';
import { saveStates } from './internal-tables.js';
import {
  type BatchFormat,
  GENERATION_COLUMN,
  jsonPointer,
  loadSql,
  maxObjectSize,
  NOT_AN_OBJECT,
} from './load-sql.js';
import { type AppendPlan, appendChunks, chunksFor, planAppends } from './objects-appender.js';
import { extendStreamTable, type StreamTable } from './table-setup.js';

/** A stream's table plus what its loads need, built once per sync. */
interface StreamLoader {
  table: StreamTable;
  paths: DuckDBListValue;
  fields: DuckDBListValue;
  statements: Partial<Record<BatchFormat, DuckDBPreparedStatement>>;
  /** how `objects` batches are appended, unless the table has a column type only SQL writes */
  appendPlan: AppendPlan | undefined;
  generation: bigint | null;
  /** rows staged for deduplication since the last commit */
  staged: boolean;
}

function loaderFor(table: StreamTable, staged: boolean): StreamLoader {
  return {
    table,
    paths: listValue(table.layout.columns.map((c) => jsonPointer(c.property))),
    fields: listValue(table.layout.columns.map((c) => c.property)),
    statements: {},
    appendPlan: planAppends(table.loadTable, table.loadColumns, table.layout),
    generation: table.plan.generationId === null ? null : BigInt(table.plan.generationId),
    staged,
  };
}

const LIST_OF_VARCHAR = LIST(VARCHAR);
const PARAMETER_TYPES = {
  paths: LIST_OF_VARCHAR,
  fields: LIST_OF_VARCHAR,
  generation: BIGINT,
  emitted_at: BIGINT,
  max_object_size: UINTEGER,
};

type Phase = 'writing' | 'failed' | 'finished' | 'closed';

/** The memory limit set for a moment after each commit, which makes DuckDB drop its cached blocks. */
const RELEASE_TO = '32MB';

/**
 * DuckDB's row group size. A commit that appends at least one row group writes it straight to the
 * database file; a smaller one goes through the write-ahead log and is written again at the next
 * checkpoint (1M rows committed 50k at a time took twice as long as 125k at a time, measured).
 */
const ROW_GROUP_ROWS = 122_880;

/** Raw lines staged on disk are loaded once they reach this size, or at the next commit. */
const STAGE_BYTES = 128 * 1024 * 1024;

/** `jsonl` lines of one stream waiting in the staging file for one load statement. */
interface StagedLines {
  loader: StreamLoader;
  bytes: number;
  longest: number;
  /** source line numbers of the staged lines, in order, when the batches carried them */
  lineNumbers: number[] | undefined;
}

export class DuckDBWriter implements DestinationWriter {
  readonly stagedUntilFinish: ReadonlySet<string>;
  readonly stagedCommitRows = ROW_GROUP_ROWS;
  private phase: Phase = 'writing';
  private inTransaction = false;
  private readonly loaders = new Map<string, StreamLoader>();
  private staged: StagedLines | undefined;

  constructor(
    private readonly database: Database,
    tables: readonly StreamTable[],
    private readonly batchFile: BatchFile,
    private readonly connectionId: string,
    private readonly logger: Logger,
    /** how streams are placed (the config's `schema` for streams without a namespace) */
    private readonly planContext: PlanContext,
    /** the config's `memory_limit`, restored after the cache is released at each commit */
    private readonly memoryLimit: string,
  ) {
    for (const table of tables) this.loaders.set(table.plan.key, loaderFor(table, false));
    this.stagedUntilFinish = new Set(tables.filter((t) => t.nextSql).map((t) => t.plan.key));
  }

  async evolve(configured: ConfiguredStream): Promise<void> {
    this.expectWriting('evolve');
    const plan = planStream(configured, this.planContext);
    const loader = this.loaders.get(plan.key);
    if (!loader || loader.table.layout.rawData) return; // a stream kept whole in _conveyor_data has room for anything
    try {
      await this.loadStaged(); // rows staged so far load with the columns they were staged for
      for (const statement of Object.values(loader.statements)) statement?.destroySync();
      const table = await extendStreamTable(this.connection, loader.table, plan, this.logger);
      this.loaders.set(plan.key, loaderFor(table, loader.staged));
    } catch (error) {
      this.phase = 'failed';
      throw duckdbFailure(`adding the new properties of stream "${plan.key}"`, error);
    }
  }

  private get connection() {
    return this.database.connection;
  }

  /** Starts the first transaction; called once the tables are ready. */
  async begin(): Promise<void> {
    await this.connection.run('BEGIN TRANSACTION');
    this.inTransaction = true;
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
      if (batch.format === 'jsonl') await this.stage(loader, batch.lines, batch.lineNumbers);
      else {
        await this.loadStaged();
        await this.load(loader, batch);
      }
    } catch (error) {
      this.phase = 'failed';
      throw loadFailure(loader.table, batch.format, error);
    }
    if (loader.table.stagingSql) loader.staged = true;
  }

  /** Raw lines go to the staging file; a different stream's lines first load what is staged. */
  private async stage(
    loader: StreamLoader,
    lines: Buffer[],
    lineNumbers: number[] | undefined,
  ): Promise<void> {
    if (this.staged && this.staged.loader !== loader) await this.loadStaged();
    const fresh = this.staged === undefined;
    const bytes = await this.batchFile.stageLines(lines, fresh);
    if (!this.staged)
      this.staged = { loader, bytes: 0, longest: 0, lineNumbers: lineNumbers ? [] : undefined };
    this.staged.bytes += bytes;
    for (const line of lines) if (line.length > this.staged.longest) this.staged.longest = line.length;
    if (this.staged.lineNumbers) {
      if (lineNumbers) for (const n of lineNumbers) this.staged.lineNumbers.push(n);
      else this.staged.lineNumbers = undefined;
    }
    if (this.staged.bytes >= STAGE_BYTES) await this.loadStaged();
  }

  /** One statement for everything staged. A failed load names the bad line when one is found. */
  private async loadStaged(): Promise<void> {
    const staged = this.staged;
    if (!staged) return;
    this.staged = undefined;
    try {
      await this.runLoad(staged.loader, 'jsonl', this.batchFile.stagingPath, {
        max_object_size: maxObjectSize(staged.longest),
      });
    } catch (error) {
      const bad = await this.findBadLine(staged);
      if (bad) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new RejectedRecordLine(bad.line, bad.lineNumber, staged.loader.table.plan.descriptor, detail);
      }
      throw error;
    }
  }

  private async findBadLine(
    staged: StagedLines,
  ): Promise<{ line: Buffer; lineNumber: number | undefined } | undefined> {
    const lines = await this.batchFile.stagedLines();
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      let data: unknown;
      try {
        data = (JSON.parse(line.toString('utf8')) as { record?: { data?: unknown } }).record?.data;
      } catch {
        return { line, lineNumber: staged.lineNumbers?.[i] };
      }
      if (data === null || typeof data !== 'object' || Array.isArray(data))
        return { line, lineNumber: staged.lineNumbers?.[i] };
    }
    return undefined;
  }

  /** `objects` through the appender when JavaScript can type the batch, everything else through SQL. */
  private async load(
    loader: StreamLoader,
    batch: Extract<RecordBatch, { format: 'objects' }>,
  ): Promise<void> {
    if (loader.appendPlan) {
      const chunks = chunksFor(loader.appendPlan, batch.records, batch.emittedAt, loader.generation);
      if (chunks) return appendChunks(this.connection, loader.appendPlan, chunks);
    }
    const file = await this.batchFile.writeObjects(batch.records);
    await this.runLoad(loader, 'objects', file, { emitted_at: BigInt(batch.emittedAt) });
  }

  private async runLoad(
    loader: StreamLoader,
    format: BatchFormat,
    file: string,
    extra: { emitted_at: bigint } | { max_object_size: number },
  ): Promise<void> {
    const statement = await this.statementFor(loader, format);
    statement.bind(
      {
        file,
        generation: loader.generation,
        // a stream without properties has no paths to extract
        ...(loader.table.layout.columns.length > 0 ? { paths: loader.paths, fields: loader.fields } : {}),
        ...extra,
      },
      PARAMETER_TYPES,
    );
    await statement.run();
  }

  async commit(states: StateMessage[], seq: number): Promise<void> {
    this.expectWriting('commit');
    try {
      await this.loadStagedBeforeCommit();
      await this.mergeStaged();
      await saveStates(this.connection, this.connectionId, seq, states);
      await this.connection.run('COMMIT');
      this.inTransaction = false;
      await this.releaseCachedBlocks();
      await this.begin();
    } catch (error) {
      this.phase = 'failed';
      throw duckdbFailure(`committing batches and states (seq ${seq})`, error);
    }
  }

  async finish(): Promise<void> {
    this.expectWriting('finish');
    try {
      await this.loadStagedBeforeCommit();
      await this.mergeStaged();
      for (const { table } of this.loaders.values()) {
        const { plan, finalSql, nextSql } = table;
        if (nextSql && plan.mode === 'overwrite') {
          await this.replaceFinal(table, nextSql);
          this.logger.info(`Replaced ${finalSql} with the rows of this sync (overwrite).`);
          continue;
        }
        if (nextSql) await this.moveStagedAppend(table, nextSql);
        if (plan.minimumGenerationId > 0) {
          const generation = quoteIdentifier(GENERATION_COLUMN);
          await this.connection.run(
            `DELETE FROM ${finalSql} WHERE ${generation} IS NULL OR ${generation} < $minimum::BIGINT`,
            { minimum: BigInt(plan.minimumGenerationId) },
          );
        }
      }
      await this.connection.run('COMMIT');
      this.inTransaction = false;
      this.phase = 'finished';
    } catch (error) {
      this.phase = 'failed';
      throw duckdbFailure('finishing the sync (overwrite swaps, staged appends and the final commit)', error);
    }
  }

  private async replaceFinal(table: StreamTable, nextSql: string): Promise<void> {
    await this.connection.run(`DROP TABLE IF EXISTS ${table.finalSql}`);
    await this.connection.run(`ALTER TABLE ${nextSql} RENAME TO ${quoteIdentifier(table.plan.final.table)}`);
  }

  /**
   * A full-refresh append's copy joins the final table. Into an empty one (a first sync), the
   * staging table takes its place, as an overwrite's does: the same columns, nothing to copy.
   */
  private async moveStagedAppend(table: StreamTable, nextSql: string): Promise<void> {
    const probe = await this.connection.runAndReadAll(`SELECT 1 FROM ${table.finalSql} LIMIT 1`);
    if (probe.currentRowCount === 0) {
      await this.replaceFinal(table, nextSql);
    } else {
      await this.connection.run(`INSERT INTO ${table.finalSql} BY NAME SELECT * FROM ${nextSql}`);
      await this.connection.run(`DROP TABLE ${nextSql}`);
    }
    this.logger.info(`Added the rows of this sync to ${table.finalSql} (full-refresh append).`);
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    try {
      if (this.inTransaction) {
        this.inTransaction = false;
        await this.connection.run('ROLLBACK').catch((error: unknown) => {
          this.logger.warn(`Rolling back uncommitted batches failed: ${String(error)}`);
        });
      }
      for (const loader of this.loaders.values()) {
        for (const statement of Object.values(loader.statements)) statement.destroySync();
      }
    } finally {
      this.database.close();
      await this.batchFile.remove();
    }
  }

  /**
   * DuckDB keeps the blocks of committed table data cached until its memory limit is reached, so a
   * long sync's memory would grow with the rows written (1GB: 385 → 537 MiB from 500k to 2M rows).
   * Lowering the limit for a moment evicts them (they are in the database file already); the
   * configured limit comes back for the next batches. A lower limit that cannot be met (more is in
   * use than it allows) is refused by DuckDB and changes nothing, which is fine.
   */
  private async releaseCachedBlocks(): Promise<void> {
    await this.connection.run(`SET memory_limit = '${RELEASE_TO}'`).catch(() => undefined);
    // the value matched spec.json's size pattern (digits and a unit), as in connector.ts
    await this.connection.run(`SET memory_limit = '${this.memoryLimit}'`);
  }

  /** Loads staged lines before a commit or finish, with the load's own error if it fails. */
  private async loadStagedBeforeCommit(): Promise<void> {
    const loader = this.staged?.loader;
    try {
      await this.loadStaged();
    } catch (error) {
      this.phase = 'failed';
      throw loader ? loadFailure(loader.table, 'jsonl', error) : error;
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

  private async statementFor(loader: StreamLoader, format: BatchFormat): Promise<DuckDBPreparedStatement> {
    const existing = loader.statements[format];
    if (existing) return existing;
    const statement = await this.connection.prepare(loadSql(loader.table.layout, format));
    loader.statements[format] = statement;
    return statement;
  }

  private async mergeStaged(): Promise<void> {
    for (const loader of this.loaders.values()) {
      const { stagingSql, finalSql, keyColumns, cursorColumn } = loader.table;
      if (!stagingSql || !loader.staged) continue;
      const tables = { final: finalSql, staging: stagingSql, keyColumns, cursorColumn };
      for (const statement of dedupStatements(tables)) {
        await this.connection.run(statement);
      }
      loader.staged = false;
    }
  }
}

function loadFailure(table: StreamTable, format: BatchFormat, error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const stream = table.plan.descriptor;
  const where = `stream "${table.plan.key}" (${format} batch into ${table.layout.target})`;
  if (detail.includes(NOT_AN_OBJECT)) {
    return systemError(
      `A record of ${where} has a "data" that is not a JSON object. Every RECORD must carry an object; fix the source that produced it.`,
      { internalMessage: detail, cause: error, stream },
    );
  }
  if (/JSON|json/.test(detail) && /malformed|parse|transform|invalid/i.test(detail)) {
    return systemError(`A line of ${where} is not a valid RECORD message. Fix the source that produced it.`, {
      internalMessage: detail,
      cause: error,
      stream,
    });
  }
  return duckdbFailure(`loading a batch of ${where}`, error);
}
