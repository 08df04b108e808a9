export { CheckpointPolicy, type CheckpointPolicyOptions } from './checkpoint.js';
export { validateConfig } from './config.js';
export { Destination } from './destination.js';
export { type ConnectorIO, runConnector } from './entrypoint.js';
export { consoleLogger, createLogger, type MessageSink } from './logger.js';
export { Source } from './source.js';
export { IncrementalStream, Stream, type StreamContext } from './stream.js';
export { errorTrace } from './trace.js';
export * from './types.js';
