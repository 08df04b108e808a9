// Error handlers as manifests declare them, turned into the HTTP client's classifier and backoff:
// response filters (by status, by text in the body, by a predicate) choose an action; anything no
// filter matches falls back to the client's default classification. Backoff strategies:
// exponential, constant, wait time from a header, wait until a time from a header.

import {
  type BackoffStrategy,
  constantBackoff,
  defaultClassifier,
  exponentialBackoff,
  firstBackoff,
  type HttpResponse,
  headerResetBackoff,
  headerSecondsBackoff,
  type ResponseAction,
  type ResponseClassifier,
  systemClock,
} from '@conveyor/http';
import { configError } from '@conveyor/protocol';
import { type Config, Interpolated, InterpolatedCondition } from './interpolated.js';
import type { Mapping } from './slice.js';

type FailureType = 'config' | 'transient' | 'system';

function failureTypeOf(value: unknown): FailureType {
  if (value === 'config_error') return 'config';
  if (value === 'transient_error') return 'transient';
  return 'system';
}

function text(response: HttpResponse): string {
  const b = response.body;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

function json(response: HttpResponse): unknown {
  try {
    return JSON.parse(text(response));
  } catch {
    return {};
  }
}

const ERROR_KEYS = [
  'message',
  'messages',
  'error',
  'errors',
  'failures',
  'failure',
  'detail',
  'err',
  'error_message',
  'msg',
  'reason',
  'status_message',
] as const;

/** Python's truthiness of a JSON value. */
function truthy(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === 0 || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}

function errorIn(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value))
    return value
      .map(errorIn)
      .filter((v): v is string => v !== undefined)
      .join(', ');
  if (value !== null && typeof value === 'object') {
    const found = ERROR_KEYS.map((key) => (value as Mapping)[key]).find(truthy);
    return errorIn(found);
  }
  return undefined;
}

/**
 * The error message of an answer as the reference reads it for `error_message_contains`: from a
 * JSON body, the first of its usual error fields (message, error, errors, detail, ...), looked for
 * recursively; from any other body, the text. A page of records has no error message, so an id
 * that happens to contain "429" never matches.
 */
export function errorMessageOf(response: HttpResponse): string | undefined {
  const body = text(response);
  try {
    return errorIn(JSON.parse(body));
  } catch {
    return body;
  }
}

/** The URL an answer came from without query, fragment or credentials (`request_url` in filters). */
function requestUrl(response: HttpResponse): string {
  try {
    const url = new URL(response.request.url);
    url.search = '';
    url.hash = '';
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return response.request.url;
  }
}

interface Filter {
  match(response: HttpResponse, config: Config): ResponseAction | undefined;
}

function filterFrom(model: Mapping, parameters: Mapping): Filter {
  const codes = new Set(((model.http_codes as number[]) ?? []).map(Number));
  const contains =
    typeof model.error_message_contains === 'string' ? model.error_message_contains : undefined;
  const predicate =
    model.predicate === undefined ? undefined : InterpolatedCondition.of(model.predicate, parameters);
  const message =
    model.error_message === undefined ? undefined : Interpolated.of(model.error_message, parameters);
  const action = String(model.action ?? (model.failure_type ? 'FAIL' : 'RETRY')).toUpperCase();
  const failureType = failureTypeOf(model.failure_type);
  return {
    match(response, config) {
      const scope = {
        response: json(response),
        headers: response.headers,
        request_url: requestUrl(response),
      };
      const matched =
        codes.has(response.status) ||
        (contains !== undefined && (errorMessageOf(response) ?? '').includes(contains)) ||
        (predicate?.eval(config, scope) ?? false);
      if (!matched) return undefined;
      const said = message?.evalString(config, scope) || undefined;
      switch (action) {
        case 'SUCCESS':
          return { action: 'success' };
        case 'IGNORE':
          return { action: 'ignore', message: said };
        case 'RETRY':
        case 'RATE_LIMITED':
          return { action: 'retry', message: said };
        case 'FAIL':
          return { action: 'fail', failureType, message: said };
        default:
          throw configError(
            `Unknown response filter action "${action}" (use SUCCESS, FAIL, RETRY, IGNORE or RATE_LIMITED).`,
          );
      }
    },
  };
}

function backoffFrom(model: Mapping, parameters: Mapping, config: Config): BackoffStrategy {
  const seconds = (value: unknown) => Number(Interpolated.of(value, parameters).eval(config));
  switch (model.type) {
    case 'ExponentialBackoffStrategy':
      return exponentialBackoff(seconds(model.factor ?? 5) * 1000);
    case 'ConstantBackoffStrategy':
      return constantBackoff(seconds(model.backoff_time_in_seconds) * 1000);
    case 'WaitTimeFromHeader':
      return headerSecondsBackoff({
        header: Interpolated.of(model.header, parameters).evalString(config),
        pattern: typeof model.regex === 'string' ? new RegExp(model.regex) : undefined,
        maxWaitMs:
          model.max_waiting_time_in_seconds === undefined
            ? undefined
            : seconds(model.max_waiting_time_in_seconds) * 1000,
      });
    case 'WaitUntilTimeFromHeader':
      return headerResetBackoff({
        header: Interpolated.of(model.header, parameters).evalString(config),
        pattern: typeof model.regex === 'string' ? new RegExp(model.regex) : undefined,
        minWaitMs: model.min_wait === undefined ? undefined : seconds(model.min_wait) * 1000,
        clock: systemClock,
      });
    default:
      throw configError(`The backoff strategy "${String(model.type)}" is not supported.`);
  }
}

export interface ErrorHandling {
  classify?: ResponseClassifier;
  backoff?: BackoffStrategy;
  maxRetries?: number;
}

/** The classifier, backoff and retry count of a requester's `error_handler`. */
export function errorHandlingFrom(
  model: Mapping | undefined,
  parameters: Mapping,
  config: Config,
): ErrorHandling {
  if (!model) return {};
  const handlers =
    model.type === 'CompositeErrorHandler' ? ((model.error_handlers as Mapping[]) ?? []) : [model];
  const filters: Filter[] = [];
  const backoffs: BackoffStrategy[] = [];
  let maxRetries: number | undefined;
  for (const handler of handlers) {
    if (handler.type !== 'DefaultErrorHandler') {
      throw configError(
        `The error handler "${String(handler.type)}" is not supported (DefaultErrorHandler, CompositeErrorHandler).`,
      );
    }
    const params = { ...parameters, ...((handler.$parameters as Mapping) ?? {}) };
    const list = (handler.response_filters as Mapping[] | undefined) ?? [];
    for (const f of list) filters.push(filterFrom(f, params));
    for (const b of (handler.backoff_strategies as Mapping[] | undefined) ?? [])
      backoffs.push(backoffFrom(b, params, config));
    if (maxRetries === undefined && handler.max_retries !== undefined)
      maxRetries = Number(handler.max_retries);
  }
  const classify: ResponseClassifier | undefined =
    filters.length === 0
      ? undefined
      : (response, error, attempt) => {
          if (response) {
            for (const filter of filters) {
              const action = filter.match(response, config);
              if (action) return action;
            }
          }
          return defaultClassifier(response, error, attempt);
        };
  const backoff = backoffs.length === 0 ? undefined : firstBackoff(...backoffs);
  return { classify, backoff, maxRetries };
}
