// The error for connector output that breaks the protocol. It is a system_error: the connector
// (not the user's config) is at fault, and running it again with the same input fails the same way.
// The engine reports it as is; its message already says where, what and what to do.

import { ConveyorError } from './errors.js';
import { type StreamDescriptor, streamKey } from './messages.js';
import type { SecretMasker } from './secrets.js';

export const SNIPPET_CHARS = 200;

/** The connector fault advice every protocol error ends with. */
export const PROTOCOL_ADVICE =
  'The connector wrote something that is not a valid protocol message; fix the connector or report it to its maintainer.';

export interface ProtocolErrorFields {
  source: string;
  lineNumber: number;
  stream?: StreamDescriptor | undefined;
  snippet: string;
  internalMessage?: string;
  cause?: unknown;
}

export class ProtocolError extends ConveyorError {
  /** The connector (or other producer) whose output was bad. */
  readonly source: string;
  /** 1-based line number in the producer's output. */
  readonly lineNumber: number;
  /** The start of the offending line, secrets masked, at most 200 characters plus an ellipsis. */
  readonly snippet: string;

  constructor(userMessage: string, fields: ProtocolErrorFields) {
    super(userMessage, {
      failureType: 'system_error',
      stream: fields.stream,
      internalMessage: fields.internalMessage,
      cause: fields.cause,
    });
    this.name = 'ProtocolError';
    this.source = fields.source;
    this.lineNumber = fields.lineNumber;
    this.snippet = fields.snippet;
  }
}

// A secret may straddle the snippet cut, so mask a generous window first and cut afterwards.
const MASK_WINDOW_CHARS = 64 * 1024;

/** The start of a line for an error message: secrets masked first, then cut to 200 characters. */
export function lineSnippet(line: Buffer | string, masker: SecretMasker | undefined): string {
  const text =
    typeof line === 'string' ? line.slice(0, MASK_WINDOW_CHARS) : line.toString('utf8', 0, MASK_WINDOW_CHARS);
  const masked = masker ? masker.mask(text) : text;
  return masked.length > SNIPPET_CHARS ? `${masked.slice(0, SNIPPET_CHARS)}…` : masked;
}

export interface ProtocolProblem {
  source: string;
  lineNumber: number;
  /** What was wrong, as a clause: "is not valid JSON", "has no \"type\"". */
  problem: string;
  stream?: StreamDescriptor | undefined;
  masker?: SecretMasker | undefined;
  /** Replaces the default advice when a different fix applies (e.g. raising a limit). */
  advice?: string;
  cause?: unknown;
}

/** Builds the ProtocolError for a bad line, masking secrets in every part of the message. */
export function protocolError(line: Buffer | string, p: ProtocolProblem): ProtocolError {
  const snippet = lineSnippet(line, p.masker);
  // Wording relied on by the engine's tests: `... line 3, stream "items" is a RECORD whose ...`.
  const stream = p.stream ? `, stream "${streamKey(p.stream)}"` : '';
  const message =
    `Connector "${p.source}" output line ${p.lineNumber}${stream} ${p.problem}. ` +
    `${p.advice ?? PROTOCOL_ADVICE} The line starts: ${snippet}`;
  const masked = p.masker ? p.masker.mask(message) : message;
  return new ProtocolError(masked, {
    source: p.source,
    lineNumber: p.lineNumber,
    stream: p.stream,
    snippet,
    cause: p.cause,
  });
}
