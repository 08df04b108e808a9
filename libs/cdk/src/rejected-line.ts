// A destination that bulk-loads raw RECORD lines learns that one is bad only when the load fails,
// possibly long after the batch that carried it. It reports the line with this error; the engine,
// which knows the source's name and secrets, turns it into the usual protocol error (connector, line
// number, stream, masked snippet).

import { ConveyorError, type StreamDescriptor, streamKey } from '@conveyor/protocol';

export class RejectedRecordLine extends ConveyorError {
  constructor(
    readonly line: Buffer,
    /** the line's number in the source's output, when the batch carried line numbers */
    readonly lineNumber: number | undefined,
    stream: StreamDescriptor,
    detail: string,
  ) {
    const where = lineNumber === undefined ? '' : ` (input line ${lineNumber})`;
    super(
      `A RECORD of stream "${streamKey(stream)}"${where} could not be loaded: it is not valid JSON or its "data" is not a JSON object. Fix the source that produced it.`,
      { failureType: 'system_error', internalMessage: detail, stream },
    );
    this.name = 'RejectedRecordLine';
  }
}
