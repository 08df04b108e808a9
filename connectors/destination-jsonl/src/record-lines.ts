// Batches as the bytes of the file: one line per record, the record's data object exactly.

import { type JsonObject, type StreamDescriptor, streamKey, systemError } from '@conveyor/protocol';

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function notAnObject(stream: StreamDescriptor, index: number): Error {
  return systemError(
    `Record ${index + 1} of a batch of stream "${streamKey(stream)}" has a "data" that is not a JSON object. Every RECORD must carry an object; fix the source that produced it.`,
    { stream },
  );
}

export function linesOfObjects(stream: StreamDescriptor, records: readonly JsonObject[]): Buffer {
  const lines = new Array<string>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (!isObject(record)) throw notAnObject(stream, i);
    lines[i] = JSON.stringify(record);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}

/** Each envelope is parsed for its `record.data`, which becomes the line. */
export function linesOfEnvelopes(stream: StreamDescriptor, envelopes: readonly Buffer[]): Buffer {
  const lines = new Array<string>(envelopes.length);
  for (let i = 0; i < envelopes.length; i++) {
    let message: unknown;
    try {
      message = JSON.parse((envelopes[i] as Buffer).toString('utf8'));
    } catch (error) {
      throw systemError(
        `Line ${i + 1} of a batch of stream "${streamKey(stream)}" is not valid JSON. Fix the source that produced it.`,
        { internalMessage: String(error), cause: error, stream },
      );
    }
    const record = isObject(message) ? message.record : undefined;
    const data = isObject(record) ? record.data : undefined;
    if (!isObject(data)) throw notAnObject(stream, i);
    lines[i] = JSON.stringify(data);
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}
