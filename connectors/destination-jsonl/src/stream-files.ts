// Which file each configured stream is written to, and how. Everything that can be wrong with
// the catalog is found here, before a file is touched.

import { join } from 'node:path';
import { type ConfiguredCatalog, configError, type StreamDescriptor, streamKey } from '@conveyor/protocol';
import { fileSafeName, MAX_FILE_NAME_BYTES } from './file-names.js';

export type FileMode = 'append' | 'overwrite';

export const SUPPORTED_MODES: readonly FileMode[] = ['append', 'overwrite'];

export interface StreamFile {
  descriptor: StreamDescriptor;
  /** `namespace.name` or `name`, as batches name their stream */
  key: string;
  mode: FileMode;
  /** the file's path relative to the output directory: `[<namespace>/]<stream>.jsonl` */
  relative: string;
  /** the file's absolute path */
  path: string;
  generation: number | null;
}

function fileName(name: string, stream: StreamDescriptor): string {
  const file = fileSafeName(name);
  if (Buffer.byteLength(file) > MAX_FILE_NAME_BYTES) {
    throw configError(
      `Stream "${streamKey(stream)}": its file name would be longer than ${MAX_FILE_NAME_BYTES} bytes, which file systems refuse. Give the stream a shorter destination_object_name.`,
      { stream },
    );
  }
  return file;
}

export function planStreamFiles(catalog: ConfiguredCatalog, directory: string): StreamFile[] {
  const byFoldedPath = new Map<string, StreamFile>();
  return catalog.streams.map((configured) => {
    const { stream } = configured;
    const descriptor: StreamDescriptor = {
      name: stream.name,
      ...(stream.namespace ? { namespace: stream.namespace } : {}),
    };
    const mode = configured.destination_sync_mode;
    if (!SUPPORTED_MODES.includes(mode as FileMode)) {
      const why =
        mode === 'append_dedup'
          ? 'files cannot be deduplicated in place'
          : `the JSON lines destination does not support "${mode}"`;
      throw configError(
        `Stream "${streamKey(stream)}": destination sync mode "${mode}" is not available (${why}). Use append or overwrite.`,
        { stream: descriptor },
      );
    }
    const base = `${fileName(configured.destination_object_name || stream.name, descriptor)}.jsonl`;
    const relative = stream.namespace ? join(fileName(stream.namespace, descriptor), base) : base;
    const planned: StreamFile = {
      descriptor,
      key: streamKey(stream),
      mode: mode as FileMode,
      relative,
      path: join(directory, relative),
      generation: typeof configured.generation_id === 'number' ? configured.generation_id : null,
    };
    // Case-insensitive file systems (macOS, Windows) would give two such streams one file.
    const folded = relative.toLowerCase();
    const other = byFoldedPath.get(folded);
    if (other) {
      throw configError(
        `Streams "${other.key}" and "${planned.key}" would be written to the same file ${relative} (names differing only in case share a file on some systems). Give one of them a destination_object_name.`,
        { stream: descriptor },
      );
    }
    byFoldedPath.set(folded, planned);
    return planned;
  });
}
