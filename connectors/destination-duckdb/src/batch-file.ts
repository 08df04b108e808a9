// The file a batch travels through on its way into DuckDB: written with one call per batch,
// read by `read_json`, overwritten by the next batch, removed with the writer.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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

  /** Newline-delimited lines, copied once into a buffer of the batch's size. */
  async writeLines(lines: readonly Buffer[]): Promise<string> {
    let size = 0;
    for (const line of lines) size += line.length + 1;
    const buffer = Buffer.allocUnsafe(size);
    let offset = 0;
    for (const line of lines) {
      offset += line.copy(buffer, offset);
      buffer[offset++] = NEWLINE;
    }
    await writeFile(this.path, buffer);
    return this.path;
  }

  async remove(): Promise<void> {
    await rm(this.directory, { recursive: true, force: true });
  }
}
