// Opening a data file, with errors that name it and say what to do.

import { type FileHandle, open } from 'node:fs/promises';
import { configError, systemError, transientError } from '@conveyor/protocol';

export async function openDataFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (error) {
    throw fileError(path, error);
  }
}

/** A read failure on `path` as a ConveyorError of the right kind. */
export function fileError(path: string, error: unknown) {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (code === 'EACCES' || code === 'EPERM') {
    return configError(
      `"${path}" cannot be read: permission denied. Give the user running the connector read access, or narrow the stream's glob to leave it out.`,
      { cause: error },
    );
  }
  if (code === 'ENOENT') {
    return transientError(
      `"${path}" disappeared while the stream was being read. If files are moved or replaced during syncs, retry the sync; write new files under a temporary name and rename them when complete.`,
      { cause: error },
    );
  }
  if (code === 'EISDIR') {
    return configError(
      `"${path}" is a directory, not a file. Narrow the stream's glob so it matches files only.`,
      {
        cause: error,
      },
    );
  }
  return systemError(`"${path}" could not be read (${code || String(error)}).`, { cause: error });
}
