// The file a batch travels through on its way into DuckDB: written with one call per batch,
// read by `read_json`, overwritten by the next batch, removed with the writer.

import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NEWLINE = 0x0a;

export class BatchFile {
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
   * Adds lines to the staging file (started over when `fresh`), so that many batches load in one
   * statement: DuckDB's cost is largely per statement, and lines on disk cost no memory.
   */
  async stageLines(lines: readonly Buffer[], fresh: boolean): Promise<number> {
    const buffer = joinLines(lines);
    await (fresh ? writeFile(this.stagingPath, buffer) : appendFile(this.stagingPath, buffer));
    return buffer.length;
  }

  get stagingPath(): string {
    return `${this.path}.staged.jsonl`;
  }

  /** The staged lines, read back only to find a bad one after a failed load. */
  async stagedLines(): Promise<Buffer[]> {
    const text = await readFile(this.stagingPath);
    const lines: Buffer[] = [];
    let start = 0;
    for (let end = text.indexOf(NEWLINE); end >= 0; end = text.indexOf(NEWLINE, start)) {
      lines.push(text.subarray(start, end));
      start = end + 1;
    }
    return lines;
  }

  async remove(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}

function joinLines(lines: readonly Buffer[]): Buffer {
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
