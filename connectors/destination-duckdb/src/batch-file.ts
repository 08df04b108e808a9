// The files batches travel through on their way into DuckDB, all in one temporary directory
// removed with the writer: staging files (batches appended one after another, loaded together by
// one `read_json`, then deleted) and the file of an `objects` batch that takes the SQL path
// (overwritten by the next one).

import { type FileHandle, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NEWLINE = 0x0a;

export class BatchFile {
  private staged = 0;

  private constructor(
    private readonly directory: string,
    readonly path: string,
  ) {}

  static async create(): Promise<BatchFile> {
    const directory = await mkdtemp(join(tmpdir(), 'conveyor-duckdb-'));
    return new BatchFile(directory, join(directory, 'batch.json'));
  }

  /** One JSON array: a single native stringify is faster than one per record. */
  async writeObjects(records: readonly unknown[]): Promise<string> {
    await writeFile(this.path, JSON.stringify(records));
    return this.path;
  }

  /**
   * A new file for staged batches, which load many at a time, in one statement: DuckDB's cost is
   * largely per statement, and files cost no memory. Each set of staged batches gets its own file,
   * so batches can stage while the previous set loads.
   */
  async openStaging(): Promise<StagingFile> {
    const path = join(this.directory, `staged-${this.staged++}`);
    return new StagingFile(path, await open(path, 'w'));
  }

  /** Lines as one newline-terminated buffer, for a staging file. */
  static joinLines(lines: readonly Buffer[]): Buffer {
    let size = 0;
    for (const line of lines) size += line.length + 1;
    const buffer = Buffer.allocUnsafe(size);
    let offset = 0;
    for (const line of lines) {
      offset += line.copy(buffer, offset);
      buffer[offset++] = NEWLINE;
    }
    return buffer;
  }

  /** The lines of a staging file, read back only to find a bad one after a failed load. */
  async linesOf(path: string): Promise<Buffer[]> {
    const text = await readFile(path);
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = text.indexOf(NEWLINE); end >= 0; end = text.indexOf(NEWLINE, start)) {
      lines.push(text.subarray(start, end));
      start = end + 1;
    }
    return lines;
  }

  /** Deletes a loaded staging file. */
  async discard(path: string): Promise<void> {
    await rm(path, { force: true });
  }

  async remove(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}

/** A file batches are appended to, kept open until it is loaded (an open per batch cost more). */
export class StagingFile {
  /** bytes written so far */
  bytes = 0;

  constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  async append(content: Buffer): Promise<void> {
    let written = 0;
    while (written < content.length) {
      const { bytesWritten } = await this.handle.write(content, written);
      written += bytesWritten;
    }
    this.bytes += content.length;
  }

  /** Closes the file; DuckDB reads it by its path. */
  async close(): Promise<void> {
    await this.handle.close();
  }
}
