// TRACE messages the CDK emits: errors (classified, secrets masked) and stream statuses.

import {
  asConveyorError,
  type ErrorTrace,
  type MessageOf,
  type SecretMasker,
  type StreamDescriptor,
  type StreamStatus,
} from '@conveyor/protocol';

/** The descriptor as the protocol wants it: no `namespace` key when there is none. */
export function descriptorOf(stream: { name: string; namespace?: string | undefined }): StreamDescriptor {
  return stream.namespace ? { name: stream.name, namespace: stream.namespace } : { name: stream.name };
}

function stackOf(error: Error): string | undefined {
  // asConveyorError keeps the original error as `cause`; its stack points at the real failure.
  const cause = error.cause;
  if (cause instanceof Error && cause.stack) return cause.stack;
  return error.stack;
}

/**
 * A TRACE ERROR for any thrown value: the user message, the internal detail, the stack and the
 * failure type, every text masked. `stream` is used when the error does not name one itself.
 */
export function errorTrace(
  error: unknown,
  masker: SecretMasker,
  stream?: StreamDescriptor,
): MessageOf<'TRACE'> {
  const classified = asConveyorError(error);
  const trace: ErrorTrace = {
    message: masker.mask(classified.userMessage),
    failure_type: classified.failureType,
  };
  const stack = stackOf(classified);
  if (stack) trace.stack_trace = masker.mask(stack);
  // For an unclassified error asConveyorError keeps the stack as internal detail; once is enough.
  const internal = classified.internalMessage;
  if (internal && internal !== stack) trace.internal_message = masker.mask(internal);
  const descriptor = classified.stream ?? stream;
  if (descriptor) trace.stream_descriptor = descriptorOf(descriptor);
  return { type: 'TRACE', trace: { type: 'ERROR', emitted_at: Date.now(), error: trace } };
}

export function streamStatusTrace(stream: StreamDescriptor, status: StreamStatus): MessageOf<'TRACE'> {
  return {
    type: 'TRACE',
    trace: {
      type: 'STREAM_STATUS',
      emitted_at: Date.now(),
      stream_status: { stream_descriptor: stream, status },
    },
  };
}
