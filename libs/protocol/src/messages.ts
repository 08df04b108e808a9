// Protocol message types. Wire-compatible with the Airbyte protocol (v0 line): field names and
// enums match `airbyte_protocol.yaml`; every object keeps unknown fields (index signatures), so a
// message read and written again loses nothing.

export type JsonObject = { [key: string]: unknown };

/**
 * The Airbyte protocol version these types follow. Connector packages declare the version they
 * speak (`conveyor.protocolVersion`); an instance takes only versions with the same major.
 */
export const PROTOCOL_VERSION = '0.5.2';

export const MESSAGE_TYPES = [
  'RECORD',
  'STATE',
  'LOG',
  'SPEC',
  'CONNECTION_STATUS',
  'CATALOG',
  'TRACE',
  'CONTROL',
  'DESTINATION_CATALOG',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export type SyncMode = 'full_refresh' | 'incremental';
export type DestinationSyncMode = 'append' | 'overwrite' | 'append_dedup' | 'update' | 'soft_delete';
export type LogLevel = 'FATAL' | 'ERROR' | 'WARN' | 'INFO' | 'DEBUG' | 'TRACE';
export type FailureType = 'system_error' | 'config_error' | 'transient_error';

export interface StreamDescriptor {
  name: string;
  namespace?: string;
  [extra: string]: unknown;
}

export interface RecordMetaChange {
  field: string;
  change: 'NULLED' | 'TRUNCATED';
  reason: string;
  [extra: string]: unknown;
}

export interface RecordMessage {
  stream: string;
  namespace?: string;
  data: JsonObject;
  emitted_at: number;
  meta?: { changes?: RecordMetaChange[]; [extra: string]: unknown };
  [extra: string]: unknown;
}

export interface StreamState {
  stream_descriptor: StreamDescriptor;
  stream_state?: JsonObject;
  [extra: string]: unknown;
}

export interface StateStats {
  recordCount?: number;
  rejectedRecordCount?: number;
  [extra: string]: unknown;
}

export interface StateMessage {
  type?: 'STREAM' | 'GLOBAL' | 'LEGACY';
  stream?: StreamState;
  global?: { shared_state?: JsonObject; stream_states: StreamState[]; [extra: string]: unknown };
  data?: JsonObject;
  sourceStats?: StateStats;
  destinationStats?: StateStats;
  [extra: string]: unknown;
}

export interface LogMessage {
  level: LogLevel;
  message: string;
  stack_trace?: string;
  [extra: string]: unknown;
}

export interface ErrorTrace {
  message: string;
  internal_message?: string;
  stack_trace?: string;
  failure_type?: FailureType;
  stream_descriptor?: StreamDescriptor;
  [extra: string]: unknown;
}

export interface EstimateTrace {
  name: string;
  type: 'STREAM' | 'SYNC';
  namespace?: string;
  row_estimate?: number;
  byte_estimate?: number;
  [extra: string]: unknown;
}

export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

export interface StreamStatusTrace {
  stream_descriptor: StreamDescriptor;
  status: StreamStatus;
  reasons?: { type: 'RATE_LIMITED'; rate_limited?: { quota_reset?: number } }[];
  [extra: string]: unknown;
}

export interface AnalyticsTrace {
  type: string;
  value?: string;
  [extra: string]: unknown;
}

export interface TraceMessage {
  type: 'ERROR' | 'ESTIMATE' | 'STREAM_STATUS' | 'ANALYTICS';
  emitted_at: number;
  error?: ErrorTrace;
  estimate?: EstimateTrace;
  stream_status?: StreamStatusTrace;
  analytics?: AnalyticsTrace;
  [extra: string]: unknown;
}

export interface ControlMessage {
  type: 'CONNECTOR_CONFIG';
  emitted_at: number;
  connectorConfig?: { config: JsonObject; [extra: string]: unknown };
  [extra: string]: unknown;
}

export interface ConnectionStatus {
  status: 'SUCCEEDED' | 'FAILED';
  message?: string;
  [extra: string]: unknown;
}

export interface AirbyteStream {
  name: string;
  namespace?: string;
  json_schema: JsonObject;
  supported_sync_modes: SyncMode[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
  is_file_based?: boolean;
  [extra: string]: unknown;
}

export interface Catalog {
  streams: AirbyteStream[];
  [extra: string]: unknown;
}

export interface ConfiguredStream {
  stream: AirbyteStream;
  sync_mode: SyncMode;
  destination_sync_mode: DestinationSyncMode;
  cursor_field?: string[];
  primary_key?: string[][];
  destination_object_name?: string;
  generation_id?: number;
  minimum_generation_id?: number;
  sync_id?: number;
  [extra: string]: unknown;
}

export interface ConfiguredCatalog {
  streams: ConfiguredStream[];
  [extra: string]: unknown;
}

export interface ConnectorSpecification {
  documentationUrl?: string;
  changelogUrl?: string;
  connectionSpecification: JsonObject;
  supportsIncremental?: boolean;
  supportsNormalization?: boolean;
  supportsDBT?: boolean;
  supported_destination_sync_modes?: DestinationSyncMode[];
  [extra: string]: unknown;
}

interface Envelope<T extends MessageType> {
  type: T;
  [extra: string]: unknown;
}

export type AirbyteMessage =
  | (Envelope<'RECORD'> & { record: RecordMessage })
  | (Envelope<'STATE'> & { state: StateMessage })
  | (Envelope<'LOG'> & { log: LogMessage })
  | (Envelope<'SPEC'> & { spec: ConnectorSpecification })
  | (Envelope<'CONNECTION_STATUS'> & { connectionStatus: ConnectionStatus })
  | (Envelope<'CATALOG'> & { catalog: Catalog })
  | (Envelope<'TRACE'> & { trace: TraceMessage })
  | (Envelope<'CONTROL'> & { control: ControlMessage })
  | (Envelope<'DESTINATION_CATALOG'> & { destination_catalog: JsonObject });

export type MessageOf<T extends MessageType> = Extract<AirbyteMessage, { type: T }>;

/** The key a stream is known by: `namespace.name` when namespaced, else `name`. */
export function streamKey(d: { name: string; namespace?: string | undefined }): string {
  return d.namespace ? `${d.namespace}.${d.name}` : d.name;
}
