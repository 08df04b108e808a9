// The one error type of Conveyor. Classified by what the engine should do about it:
//   config_error    - the user must change something (config, catalog, project file); retrying won't help
//   transient_error - worth retrying as is (network, rate limit, a server restarting)
//   system_error    - a bug or a broken environment; retrying won't help, a developer should look
// `userMessage` is one clear paragraph for a person (what, where, what to do); `internalMessage`
// carries the detail for developers. Both are scrubbed of secrets before they leave the process.

import type { FailureType, StreamDescriptor } from './messages.js';

export interface ConveyorErrorOptions {
  failureType: FailureType;
  internalMessage?: string;
  stream?: StreamDescriptor;
  cause?: unknown;
}

export class ConveyorError extends Error {
  readonly failureType: FailureType;
  readonly userMessage: string;
  readonly internalMessage: string | undefined;
  readonly stream: StreamDescriptor | undefined;

  constructor(userMessage: string, options: ConveyorErrorOptions) {
    super(userMessage, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ConveyorError';
    this.userMessage = userMessage;
    this.failureType = options.failureType;
    this.internalMessage = options.internalMessage;
    this.stream = options.stream;
  }
}

export function configError(
  message: string,
  options: Omit<ConveyorErrorOptions, 'failureType'> = {},
): ConveyorError {
  return new ConveyorError(message, { ...options, failureType: 'config_error' });
}

export function transientError(
  message: string,
  options: Omit<ConveyorErrorOptions, 'failureType'> = {},
): ConveyorError {
  return new ConveyorError(message, { ...options, failureType: 'transient_error' });
}

export function systemError(
  message: string,
  options: Omit<ConveyorErrorOptions, 'failureType'> = {},
): ConveyorError {
  return new ConveyorError(message, { ...options, failureType: 'system_error' });
}

/** Any thrown value as a ConveyorError; unknown errors are system errors keeping their message as internal detail. */
export function asConveyorError(error: unknown): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ConveyorError(message, {
    failureType: 'system_error',
    internalMessage: error instanceof Error ? error.stack : undefined,
    cause: error,
  });
}
