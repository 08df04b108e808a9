// JSON Lines files: one JSON object per line, passed on as parsed. The file is read in 1 MiB
// chunks and split on newlines here, so a batch costs one await, not one per line.

import { ConveyorError, configError } from '@conveyor/protocol';
import type { MatchedFile } from '../file-listing.js';
import { fileError, openDataFile } from './open-file.js';
import { type FileReadOptions, SOURCE_FILE, SOURCE_FILE_MTIME } from './record-source.js';

function parseLine(file: MatchedFile, text: string, line: number): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    if (text.trim() === '') return undefined;
    const reason = error instanceof Error ? error.message : String(error);
    throw configError(`"${file.path}" line ${line} is not valid JSON (${reason}). Fix or remove the line.`, {
      cause: error,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    throw configError(
      `"${file.path}" line ${line} holds ${what}; every line of a JSON Lines file must be a JSON object ({...}).`,
    );
  }
  const record = value as Record<string, unknown>;
  record[SOURCE_FILE] = file.path;
  record[SOURCE_FILE_MTIME] = file.mtime;
  return record;
}

export async function* readJsonl(
  file: MatchedFile,
  options: FileReadOptions,
): AsyncGenerator<Record<string, unknown>[]> {
  const handle = await openDataFile(file.path);
  const input = handle.createReadStream({ encoding: 'utf8', highWaterMark: 1 << 20 });
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  let batch: Record<string, unknown>[] = [];
  let emitted = 0;
  let line = 0;
  let rest = '';
  const take = (text: string): boolean => {
    line++;
    const end = text.charCodeAt(text.length - 1) === 13 ? text.length - 1 : text.length;
    const record = parseLine(file, end === text.length ? text : text.slice(0, end), line);
    if (record) batch.push(record);
    return emitted + batch.length >= limit;
  };
  try {
    for await (const chunk of input as AsyncIterable<string>) {
      let text = rest === '' ? chunk : rest + chunk;
      if (line === 0 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      let start = 0;
      for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
        const full = take(text.slice(start, newline));
        start = newline + 1;
        if (batch.length >= options.batchSize || full) {
          emitted += batch.length;
          yield batch;
          batch = [];
          if (full) return;
        }
      }
      rest = text.slice(start);
    }
    if (rest !== '') take(rest);
    if (batch.length > 0) yield batch;
  } catch (error) {
    throw error instanceof ConveyorError ? error : fileError(file.path, error);
  } finally {
    input.destroy();
    await handle.close().catch(() => undefined);
  }
}
