// @conveyor/http: the HTTP API family. One client (injectable transport, authentication, retries,
// request budget, timeouts), pagination, datetime windows and concurrent partitions, for code
// connectors and the declarative engine alike.

export { responseJson, responseText } from './body.js';
export { type BudgetPolicy, requestBudget } from './budget.js';
export {
  constantBackoff,
  defaultBackoff,
  defaultClassifier,
  exponentialBackoff,
  firstBackoff,
  headerResetBackoff,
  headerSecondsBackoff,
  parseRetryAfter,
  retryAfterBackoff,
} from './classify.js';
export { HttpClient, type HttpClientOptions, type HttpLogger, type SendOptions } from './client.js';
export { systemClock, type VirtualClock, virtualClock } from './clock.js';
export { addDuration, fixedDurationMs, type IsoDuration, parseIsoDuration } from './durations.js';
export {
  bodySnippet,
  describeRequest,
  HttpResponseError,
  NetworkError,
  type NetworkErrorKind,
  requestMasker,
} from './errors.js';
export { type FetchTransportOptions, fetchTransport } from './fetch-transport.js';
export { type OAuth2RefreshOptions, oauth2RefreshAuth } from './oauth2-auth.js';
export { type PageOf, type PaginateOptions, paginate } from './paginate.js';
export {
  cursorPagination,
  type Link,
  linkHeaderPagination,
  nextUrlPagination,
  offsetPagination,
  type Page,
  type PageToken,
  type PaginationStrategy,
  pageNumberPagination,
  parseLinkHeader,
} from './pagination.js';
export {
  CompletionWatermark,
  type PartitionEvent,
  type ReadPartitionsOptions,
  readPartitions,
} from './partitions.js';
export {
  type Exchange,
  type RecordedExchange,
  type RecordingTransport,
  readExchanges,
  recordingTransport,
  replayTransport,
  type Script,
  type ScriptedAnswer,
  type ScriptedTransport,
  scriptedTransport,
} from './scripted-transport.js';
export { type LoginRequest, type SessionTokenAuthOptions, sessionTokenAuth } from './session-auth.js';
export {
  type ApiKeyAuthOptions,
  apiKeyAuth,
  basicAuth,
  bearerAuth,
  noAuth,
  withHeader,
  withQueryParam,
} from './static-auth.js';
export * from './types.js';
export { type DatetimeWindow, type DatetimeWindowOptions, datetimeWindows } from './windows.js';
