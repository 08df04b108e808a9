// A failed `check` answers with a status, not an exception: the user's message plus the first line
// of the internal detail, which is usually what tells the cause (permission denied, file locked).

import { asConveyorError, type ConnectionStatus } from '@conveyor/protocol';

export function failedCheck(error: unknown): ConnectionStatus {
  const failure = asConveyorError(error);
  const detail = failure.internalMessage ? ` (${failure.internalMessage.split('\n')[0]})` : '';
  return { status: 'FAILED', message: `${failure.userMessage}${detail}` };
}
