// One sync's writer. Batches are staged in files and loaded (typed-rows.ts, load-sql.ts) inside an
// open DuckDB transaction, so readers see none of them until `commit`, which moves deduplicated
// rows into place, stores the states and commits data and states together. Memory: what one
// transaction appends costs about 50 MiB per million rows until it commits (the engine commits
// every 50k rows that a state covers, and a stream's rows staged until finish one row group at a
// time), and the blocks of committed data are released after each commit.
//
// A commit whose states are the ones the database holds already (the steps of rows staged until
// finish, or rows a repeated STATE covers) runs in the background: the batches after it stage into
// a new file meanwhile, and the next operation that needs the database waits for it. Were the
// process to die first, the database would hold the very states the engine recorded, and a resume
// from them reads again every row that commit held.

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
import { BatchFile, type StagingFile } from './batch-file.js';
import { type Database, duckdbFailure } from './database.js';
import { dedupStatements } from './dedup-sql.js';
import { quoteIdentifier } from './identifiers.js';
import { readStates, saveStates } from './internal-tables.js';
import {
  type BatchFormat,
  fieldsReadable,
  GENERATION_COLUMN,
  jsonPointer,
  type LoadShape,
  loadSql,
  maxObjectSize,
  NOT_AN_OBJECT,
} from './load-sql.js';
import { extendStreamTable, type StreamTable } from './table-setup.js';
import { planRows, type RowsPlan, typedRows } from './typed-rows.js';

/** How a load reads its file: a shape of load-sql.ts, or the typed rows of `objects` batches. */
type LoadKind = LoadShape | 'rows';

/** A stream's table plus what its loads need, built once per sync. */
interface StreamLoader {
  table: StreamTable;
  paths: DuckDBListValue;
  fields: DuckDBListValue;
  statements: Partial<Record<LoadKind, DuckDBPreparedStatement>>;
  /** how `objects` batches become typed rows, unless the table has a column type only SQL writes */
  rowsPlan: RowsPlan | undefined;
  /** DuckDB refused to read this stream's lines by field once (see `loadFields`) */
  fieldsRefused: boolean;
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
    rowsPlan: planRows(table.layout),
    fieldsRefused: false,
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

/**
 * The memory limit set for a moment after each commit, which makes DuckDB drop its cached blocks:
 * all of them (at 32MB it kept ~30 MiB of the table's blocks, a tenth of a sync's peak).
 */
const RELEASE_TO = '1MB';

/**
 * DuckDB's row group size. A commit that appends at least one row group writes it straight to the
 * database file; a smaller one goes through the write-ahead log and is written again at the next
 * checkpoint (1M rows committed 50k at a time took twice as long as 125k at a time, measured).
 */
const ROW_GROUP_ROWS = 122_880;

/** Bytes that frame the rows of staged batches as one JSON array. */
const OPEN_BRACKET = 0x5b;
const COMMA = 0x2c;
const CLOSE_BRACKET = Buffer.from(']');

/** Batches staged on disk are loaded once they reach this size, or at the next commit. */
const STAGE_BYTES = 128 * 1024 * 1024;

/**
 * Batches of one stream waiting in a staging file for one load statement: `jsonl` lines, or the
 * typed rows of `objects` batches (typed-rows.ts), written as one JSON array.
 */
interface Staged {
  loader: StreamLoader;
  kind: 'jsonl' | 'rows';
  file: StagingFile;
  /** the longest line, in bytes; for rows, the longest batch (no row is longer) */
  longest: number;
  /** source line numbers of the staged lines, in order, when the batches carried them */
  lineNumbers: number[] | undefined;
}

export class DuckDBWriter implements DestinationWriter {
  readonly stagedUntilFinish: ReadonlySet<string>;
  readonly stagedCommitRows = ROW_GROUP_ROWS;
  private phase: Phase = 'writing';
  private inTransaction = false;
  /** whether the open transaction has written anything yet */
  private writtenInTransaction = false;
  private readonly loaders = new Map<string, StreamLoader>();
  private staged: Staged | undefined;
  /** a commit running in the background, and what it failed with */
  private background: Promise<void> | undefined;
  private backgroundFailure: unknown;
  /** the states the database holds for the connection (or will, once a running commit is done), as JSON */
  private committedStates: string | undefined;

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
      this.writtenInTransaction = true; // new columns: a rollback would undo them
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

  /**
   * Starts the first transaction; called once the tables are ready. The states this database holds
   * for the connection are the last committed ones until this writer commits (none: an empty list).
   */
  async start(): Promise<void> {
    const held = await readStates(this.connection, this.connectionId);
    this.committedStates = JSON.stringify(held?.states ?? []);
    await this.begin();
  }

  private async begin(): Promise<void> {
    await this.connection.run('BEGIN TRANSACTION');
    this.inTransaction = true;
    this.writtenInTransaction = false;
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
      if (batch.format === 'jsonl') {
        let longest = 0;
        for (const line of batch.lines) if (line.length > longest) longest = line.length;
        await this.stage(loader, 'jsonl', BatchFile.joinLines(batch.lines), longest, batch.lineNumbers);
      } else {
        const rows = loader.rowsPlan && typedRows(loader.rowsPlan, batch.records, batch.emittedAt);
        if (rows) await this.stage(loader, 'rows', rows, 0, undefined);
        else await this.loadObjects(loader, batch);
      }
    } catch (error) {
      this.phase = 'failed';
      throw loadFailure(loader.table, batch.format, error);
    }
  }

  /**
   * A batch goes to the staging file, after what is staged when that is the same stream and kind;
   * otherwise what is staged loads first. Rows make one JSON array: `[` before the first batch's
   * rows, `,` between batches and `]` at load (a batch's text is `[rows]`).
   */
  private async stage(
    loader: StreamLoader,
    kind: Staged['kind'],
    content: string | Buffer,
    longest: number,
    lineNumbers: number[] | undefined,
  ): Promise<void> {
    if (this.staged && (this.staged.loader !== loader || this.staged.kind !== kind)) await this.loadStaged();
    this.staged ??= {
      loader,
      kind,
      file: await this.batchFile.openStaging(),
      longest: 0,
      lineNumbers: lineNumbers ? [] : undefined,
    };
    const staged = this.staged;
    if (typeof content === 'string') {
      // the batch's `[rows]` without its closing bracket, its opening one a comma after the first;
      // no row is longer than its batch, in bytes, as DuckDB counts them
      const bytes = Buffer.from(content);
      bytes[0] = staged.file.bytes === 0 ? OPEN_BRACKET : COMMA;
      await staged.file.append(bytes.subarray(0, bytes.length - 1));
      longest = bytes.length;
    } else {
      await staged.file.append(content);
    }
    if (longest > staged.longest) staged.longest = longest;
    if (staged.lineNumbers) {
      if (lineNumbers) for (const n of lineNumbers) staged.lineNumbers.push(n);
      else staged.lineNumbers = undefined;
    }
    if (staged.file.bytes >= STAGE_BYTES) await this.loadStaged();
  }

  /** Loads what is staged, once a commit running in the background is done. */
  private async loadStaged(): Promise<void> {
    await this.settle();
    const staged = this.staged;
    if (!staged) return;
    this.staged = undefined;
    await this.loadFile(staged);
  }

  /** One statement for a staging file. A failed `jsonl` load names the bad line when one is found. */
  private async loadFile(staged: Staged): Promise<void> {
    const { loader, file, longest } = staged;
    try {
      try {
        if (staged.kind === 'rows') await file.append(CLOSE_BRACKET);
      } finally {
        await file.close();
      }
      const extra = { max_object_size: maxObjectSize(longest) };
      if (!(staged.kind === 'jsonl' && (await this.loadFields(loader, file.path, extra))))
        await this.runLoad(loader, staged.kind, file.path, extra);
    } catch (error) {
      const bad = staged.kind === 'jsonl' ? await this.findBadLine(staged).catch(() => undefined) : undefined;
      if (bad) {
        const detail = error instanceof Error ? error.message : String(error);
        throw new RejectedRecordLine(bad.line, bad.lineNumber, loader.table.plan.descriptor, detail);
      }
      throw loadFailure(loader.table, staged.kind === 'jsonl' ? 'jsonl' : 'objects', error);
    }
    await this.batchFile.discard(file.path);
  }

  /**
   * Lines as `jsonl-fields` (see load-sql.ts), when that can be undone: only as the first write of
   * a transaction, which a failure rolls back whole. False when not tried or rolled back, and the
   * lines then load the general way (which names a bad line, and takes the first of duplicate keys).
   */
  private async loadFields(
    loader: StreamLoader,
    file: string,
    extra: { max_object_size: number },
  ): Promise<boolean> {
    if (this.writtenInTransaction || loader.fieldsRefused || !fieldsReadable(loader.table.layout))
      return false;
    try {
      await this.runLoad(loader, 'jsonl-fields', file, extra);
      return true;
    } catch (error) {
      // a source that sent such lines once likely sends more: the stream loads by pointer from now on
      loader.fieldsRefused = true;
      this.logger.debug(
        `Loading lines by field failed, loading them by JSON pointer instead: ${String(error)}`,
      );
      await this.connection.run('ROLLBACK');
      this.inTransaction = false;
      await this.begin();
      return false;
    }
  }

  /** Waits for a commit running in the background; throws what it failed with. */
  private async settle(): Promise<void> {
    const background = this.background;
    if (!background) return;
    this.background = undefined;
    try {
      await background;
    } finally {
      this.backgroundFailure = undefined; // thrown here, where it is reported
    }
  }

  private async findBadLine(
    staged: Staged,
  ): Promise<{ line: Buffer; lineNumber: number | undefined } | undefined> {
    const lines = await this.batchFile.linesOf(staged.file.path);
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

  /** An `objects` batch whose values only DuckDB can type: through SQL, at once, after what is staged. */
  private async loadObjects(
    loader: StreamLoader,
    batch: Extract<RecordBatch, { format: 'objects' }>,
  ): Promise<void> {
    await this.loadStaged();
    const file = await this.batchFile.writeObjects(batch.records);
    await this.runLoad(loader, 'objects', file, { emitted_at: BigInt(batch.emittedAt) });
  }

  private async runLoad(
    loader: StreamLoader,
    kind: LoadKind,
    file: string,
    extra: { emitted_at: bigint } | { max_object_size: number },
  ): Promise<void> {
    const statement = await this.statementFor(loader, kind);
    const properties = kind !== 'rows' && loader.table.layout.columns.length > 0; // rows are typed already
    statement.bind(
      {
        file,
        generation: loader.generation,
        ...(properties ? { fields: loader.fields } : {}),
        ...(properties && kind !== 'jsonl-fields' ? { paths: loader.paths } : {}),
        ...extra,
      },
      PARAMETER_TYPES,
    );
    this.writtenInTransaction = true;
    await statement.run();
    // rows of a deduplicated stream wait in its staging table for the next commit's merge
    if (loader.table.stagingSql) loader.staged = true;
  }

  /**
   * Makes everything written so far durable with `states`. When they are the states the database
   * holds already, the commit runs in the background (see the top of this file) and the next
   * operation that needs the database waits for it.
   */
  async commit(states: StateMessage[], seq: number): Promise<void> {
    this.expectWriting('commit');
    const statesJson = JSON.stringify(states);
    const unchanged = statesJson === this.committedStates;
    try {
      await this.settle();
    } catch (error) {
      this.phase = 'failed';
      throw error;
    }
    const staged = this.staged;
    this.staged = undefined;
    this.committedStates = statesJson;
    if (!unchanged) return this.commitNow(staged, states, seq, false);
    const committing = this.commitNow(staged, states, seq, true);
    committing.catch(() => undefined); // reported by the operation that waits for it (settle)
    this.background = committing;
  }

  private async commitNow(
    staged: Staged | undefined,
    states: StateMessage[],
    seq: number,
    inBackground: boolean,
  ): Promise<void> {
    try {
      if (staged) await this.loadFile(staged);
      await this.mergeStaged();
      await saveStates(this.connection, this.connectionId, seq, states);
      await this.connection.run('COMMIT');
      this.inTransaction = false;
      await this.releaseCachedBlocks();
      await this.begin();
    } catch (error) {
      const failure = duckdbFailure(`committing batches and states (seq ${seq})`, error);
      if (this.phase === 'writing') this.phase = 'failed'; // a writer closed meanwhile stays closed
      if (inBackground) this.backgroundFailure = failure;
      throw failure;
    }
  }

  async finish(): Promise<void> {
    this.expectWriting('finish');
    try {
      await this.loadStaged();
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
      await this.background?.catch(() => undefined); // reported by the operation that waited for it
      this.background = undefined;
      await this.staged?.file.close().catch(() => undefined); // batches staged after the last load
      this.staged = undefined;
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
   * use than it allows) is refused by DuckDB and changes nothing, which is fine: the next commit
   * tries again.
   */
  private async releaseCachedBlocks(): Promise<void> {
    await this.connection.run(`SET memory_limit = '${RELEASE_TO}'`).catch(() => undefined);
    // the value matched spec.json's size pattern (digits and a unit), as in connector.ts
    await this.connection.run(`SET memory_limit = '${this.memoryLimit}'`);
  }

  private expectWriting(operation: string): void {
    if (this.phase === 'writing') return;
    // a commit that failed in the background: its own error, once, where the engine sees it
    if (this.phase === 'failed' && this.backgroundFailure !== undefined) {
      const failure = this.backgroundFailure;
      this.backgroundFailure = undefined;
      throw failure;
    }
    const why =
      this.phase === 'failed'
        ? 'an earlier operation of this writer failed and its transaction was abandoned'
        : `the writer is already ${this.phase}`;
    throw systemError(`Cannot ${operation}: ${why}.`);
  }

  private async statementFor(loader: StreamLoader, kind: LoadKind): Promise<DuckDBPreparedStatement> {
    const existing = loader.statements[kind];
    if (existing) return existing;
    const sql = kind === 'rows' ? (loader.rowsPlan as RowsPlan).sql : loadSql(loader.table.layout, kind);
    const statement = await this.connection.prepare(sql);
    loader.statements[kind] = statement;
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
