// One sync's writer. A batch is one write to its stream's file. `commit` fsyncs the files written
// since the last commit and then replaces the connection's state file: data is durable before the
// states that cover it. A crash between the two replays the records since the previous commit
// (at-least-once). A graceful failure is exact: `close` without `finish` cuts every file back to
// the size it had at the last commit.
//
// overwrite streams are written to `<file>.tmp-<sync>` and `finish` renames it over the file, so
// readers see the old file until the new one is complete.

import { type FileHandle, mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { batchSize, type DestinationWriter, type Logger, type RecordBatch } from '@conveyor/cdk';
import { ConveyorError, type StateMessage, streamKey, systemError } from '@conveyor/protocol';
import { replaceFile, syncDirectory } from './durable-files.js';
import { fileFailure } from './file-failure.js';
import { linesOfEnvelopes, linesOfObjects } from './record-lines.js';
import {
  type OverwriteProgress,
  readStateFile,
  STATE_DIRECTORY,
  type StateFile,
  stateFilePath,
} from './state-file.js';
import type { StreamFile } from './stream-files.js';

interface OpenFile {
  stream: StreamFile;
  handle: FileHandle;
  /** overwrite: the file name of the temporary file being written */
  temporary: string | undefined;
  /** bytes covered by the last commit (or present when the sync started) */
  committedSize: number;
  size: number;
  unsynced: boolean;
  /** false once `finish` closed it to rename it */
  open: boolean;
}

type Phase = 'writing' | 'failed' | 'finished' | 'closed';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Temporary files an earlier overwrite of `file` left behind, by file name. */
async function leftoverTemporaries(path: string): Promise<string[]> {
  const pattern = new RegExp(`^${escapeRegExp(basename(path))}\\.tmp-\\d+$`);
  const names = await readdir(dirname(path));
  return names.filter((name) => pattern.test(name));
}

async function fileSize(handle: FileHandle): Promise<number> {
  return (await handle.stat()).size;
}

async function openStreamFile(
  stream: StreamFile,
  previous: OverwriteProgress | undefined,
  syncId: number,
  logger: Logger,
): Promise<OpenFile> {
  const directory = dirname(stream.path);
  await mkdir(directory, { recursive: true });
  if (stream.mode === 'append') {
    const handle = await open(stream.path, 'a');
    const size = await fileSize(handle);
    return { stream, handle, temporary: undefined, committedSize: size, size, unsynced: false, open: true };
  }

  const leftovers = await leftoverTemporaries(stream.path);
  // A retry of the same generation continues the overwrite its interrupted attempt committed.
  const resumable =
    previous !== undefined &&
    stream.generation !== null &&
    previous.generation === stream.generation &&
    leftovers.includes(previous.temporary) &&
    (await stat(join(directory, previous.temporary))).size >= previous.size;
  for (const name of leftovers) {
    if (resumable && name === previous.temporary) continue;
    logger.warn(
      `Removing ${join(directory, name)}, left by an overwrite of stream "${stream.key}" that did not finish.`,
    );
    await rm(join(directory, name), { force: true });
  }
  if (resumable) {
    const path = join(directory, previous.temporary);
    await truncate(path, previous.size);
    logger.info(
      `Resuming the overwrite of stream "${stream.key}" in ${path} (generation ${stream.generation}).`,
    );
    const handle = await open(path, 'a');
    return {
      stream,
      handle,
      temporary: previous.temporary,
      committedSize: previous.size,
      size: previous.size,
      unsynced: false,
      open: true,
    };
  }
  const temporary = `${basename(stream.path)}.tmp-${syncId}`;
  const handle = await open(join(directory, temporary), 'w');
  return { stream, handle, temporary, committedSize: 0, size: 0, unsynced: false, open: true };
}

export class JsonlWriter implements DestinationWriter {
  private phase: Phase = 'writing';
  /** the state file as last written by this writer, when it has committed */
  private committed: StateFile | undefined;

  private constructor(
    private readonly directory: string,
    private readonly files: Map<string, OpenFile>,
    private readonly connectionId: string,
    private readonly logger: Logger,
  ) {}

  static async open(
    directory: string,
    streams: readonly StreamFile[],
    connectionId: string,
    syncId: number,
    logger: Logger,
  ): Promise<JsonlWriter> {
    const previous = await readStateFile(directory, connectionId);
    const files = new Map<string, OpenFile>();
    try {
      for (const stream of streams) {
        files.set(
          stream.key,
          await openStreamFile(stream, previous?.overwrites[stream.relative], syncId, logger),
        );
      }
      // New files and removed leftovers must survive a crash like the data written to them.
      for (const parent of new Set(streams.map((s) => dirname(s.path)))) await syncDirectory(parent);
    } catch (error) {
      for (const file of files.values()) await file.handle.close().catch(() => undefined);
      throw fileFailure(`opening the files in ${directory}`, error);
    }
    return new JsonlWriter(directory, files, connectionId, logger);
  }

  async write(batch: RecordBatch): Promise<void> {
    this.expectWriting('write');
    const key = streamKey({ name: batch.stream, namespace: batch.namespace });
    const file = this.files.get(key);
    if (!file)
      throw systemError(`Received records for stream "${key}", which is not in the configured catalog.`);
    if (batchSize(batch) === 0) return;
    try {
      const bytes =
        batch.format === 'objects'
          ? linesOfObjects(file.stream.descriptor, batch.records)
          : linesOfEnvelopes(file.stream.descriptor, batch.lines);
      await file.handle.write(bytes);
      file.size += bytes.length;
      file.unsynced = true;
    } catch (error) {
      this.phase = 'failed';
      throw error instanceof ConveyorError ? error : fileFailure(`writing to ${file.stream.path}`, error);
    }
  }

  async commit(states: StateMessage[], seq: number): Promise<void> {
    this.expectWriting('commit');
    try {
      await this.syncFiles();
      const overwrites: Record<string, OverwriteProgress> = {};
      for (const file of this.files.values()) {
        if (file.temporary === undefined) continue;
        overwrites[file.stream.relative] = {
          temporary: file.temporary,
          size: file.committedSize,
          generation: file.stream.generation,
        };
      }
      await this.writeStateFile({ seq, states, overwrites });
    } catch (error) {
      this.phase = 'failed';
      throw fileFailure(`committing states (seq ${seq}) in ${this.directory}`, error);
    }
  }

  async finish(): Promise<void> {
    this.expectWriting('finish');
    try {
      await this.syncFiles();
      const renamedIn = new Set<string>();
      for (const file of this.files.values()) {
        if (file.temporary === undefined) continue;
        await file.handle.close();
        file.open = false;
        const directory = dirname(file.stream.path);
        await rename(join(directory, file.temporary), file.stream.path);
        file.temporary = undefined;
        renamedIn.add(directory);
        this.logger.info(`Replaced ${file.stream.path} with the records of this sync (overwrite).`);
      }
      for (const directory of renamedIn) await syncDirectory(directory);
      // The finished overwrites have nothing left to resume.
      if (this.committed && Object.keys(this.committed.overwrites).length > 0) {
        await this.writeStateFile({ ...this.committed, overwrites: {} });
      }
      this.phase = 'finished';
    } catch (error) {
      this.phase = 'failed';
      throw fileFailure(`finishing the sync in ${this.directory}`, error);
    }
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    const finished = this.phase === 'finished';
    this.phase = 'closed';
    const problems: unknown[] = [];
    for (const file of this.files.values()) {
      if (!file.open) continue;
      try {
        // Whatever was written after the last commit is discarded, as a failed sync must.
        if (!finished && file.size > file.committedSize) await file.handle.truncate(file.committedSize);
        await file.handle.close();
        file.open = false;
        // A temporary file with nothing committed has nothing to resume.
        if (!finished && file.temporary !== undefined && file.committedSize === 0) {
          await rm(join(dirname(file.stream.path), file.temporary), { force: true });
        }
      } catch (error) {
        problems.push(error);
      }
    }
    if (problems.length > 0) throw fileFailure(`closing the files in ${this.directory}`, problems[0]);
  }

  private expectWriting(operation: string): void {
    if (this.phase === 'writing') return;
    const why =
      this.phase === 'failed'
        ? 'an earlier operation of this writer failed'
        : `the writer is already ${this.phase}`;
    throw systemError(`Cannot ${operation}: ${why}.`);
  }

  private async syncFiles(): Promise<void> {
    for (const file of this.files.values()) {
      if (file.unsynced) await file.handle.sync();
      file.unsynced = false;
      file.committedSize = file.size;
    }
  }

  private async writeStateFile(content: StateFile): Promise<void> {
    await mkdir(join(this.directory, STATE_DIRECTORY), { recursive: true });
    await replaceFile(stateFilePath(this.directory, this.connectionId), JSON.stringify(content));
    this.committed = content;
  }
}
