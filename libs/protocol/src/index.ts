export { substituteEnv } from './env.js';
export * from './errors.js';
export {
  DEFAULT_MAX_LINE_BYTES,
  type LineBatch,
  type LineReaderOptions,
  lineNumberOf,
  readLineBatches,
} from './lines.js';
export * from './messages.js';
export { isProtocolLine, type ParseContext, parseMessage, validateRecordLines } from './parse.js';
export { ProtocolError } from './protocol-error.js';
export { peekRecordStream, type RecordStream } from './record-prefix.js';
export * from './secrets.js';
export { MessageWriter, type MessageWriterOptions, serializeMessage } from './writer.js';
