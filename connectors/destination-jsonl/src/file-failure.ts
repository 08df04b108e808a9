// File system errors as ConveyorErrors, classified by what the user can do about them.

import { ConveyorError, configError, systemError, transientError } from '@conveyor/protocol';

export function fileFailure(doing: string, error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  const options = { internalMessage: detail, cause: error };
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return configError(
        `Permission denied while ${doing}. Make the directory writable or choose another path.`,
        options,
      );
    case 'ENOTDIR':
    case 'EEXIST':
      return configError(
        `A path component is a file, not a directory, while ${doing}. Choose another path.`,
        options,
      );
    case 'ENOSPC':
    case 'EDQUOT':
      return transientError(
        `The disk is full (or the quota reached) while ${doing}. Free some space and retry.`,
        options,
      );
    default:
      return systemError(`The file system failed while ${doing}.`, options);
  }
}
