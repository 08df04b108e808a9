// The HTTP requester of a manifest: URL (url_base + path, or the paginator's next URL), method,
// the requester's own request options, and everything other components contribute for one page,
// merged into one request and sent through the family's HTTP client (auth, retries, budget).

import type { Authenticator, HttpClient, HttpMethod, HttpRequest, HttpResponse } from '@conveyor/http';
import { configError } from '@conveyor/protocol';
import { pythonJson } from '../interpolation/index.js';
import { type Config, Interpolated, InterpolatedMapping } from './interpolated.js';
import { combineParts, emptyParts, encodeQuery, type RequestParts, withQuery } from './request-parts.js';
import type { Mapping } from './slice.js';

const METHODS = new Set<HttpMethod>(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']);

/** Joins a base URL and a path as the reference does (urljoin after making the base end with "/"). */
export function joinUrl(base: string, path: string): string {
  if (path === '') return base;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return path;
  const root = base.endsWith('/') ? base : `${base}/`;
  return new URL(path, root).toString();
}

/** `a//b` in a URL's path becomes `a/b`, as the reference's HTTP client sends it. */
export function collapseSlashes(url: string): string {
  return url.replace(
    /^([a-z][a-z0-9+.-]*:\/\/[^/?#]*)([^?#]*)/i,
    (_m, origin: string, path: string) => origin + path.replace(/\/{2,}/g, '/'),
  );
}

export class Requester {
  private readonly urlBase: Interpolated;
  private readonly path: Interpolated;
  private readonly url: Interpolated | undefined;
  readonly method: HttpMethod;
  private readonly params: InterpolatedMapping | Interpolated;
  private readonly headers: InterpolatedMapping;
  private readonly bodyData: InterpolatedMapping | Interpolated | undefined;
  private readonly bodyJson: InterpolatedMapping | Interpolated | undefined;

  constructor(
    model: Mapping,
    parameters: Mapping,
    readonly client: HttpClient,
    readonly authenticator: Authenticator | undefined,
  ) {
    this.urlBase = Interpolated.of(model.url_base ?? '', parameters);
    this.path = Interpolated.of(model.path ?? '', parameters);
    this.url = model.url === undefined ? undefined : Interpolated.of(model.url, parameters);
    const method = String(model.http_method ?? 'GET').toUpperCase() as HttpMethod;
    if (!METHODS.has(method))
      throw configError(`http_method "${method}" is not one of GET, POST, PUT, PATCH, DELETE, HEAD.`);
    this.method = method;
    const options = (model.request_options_provider as Mapping | undefined) ?? model;
    this.params =
      mappingOrText(options.request_parameters, parameters) ?? InterpolatedMapping.of({}, parameters);
    this.headers = InterpolatedMapping.of((options.request_headers as Mapping) ?? {}, parameters);
    this.bodyData = mappingOrText(options.request_body_data, parameters);
    this.bodyJson = mappingOrText(
      options.request_body_json ?? bodyFromRequestBody(options.request_body),
      parameters,
    );
  }

  /** The requester's own options for a page: its parameters, headers and body, evaluated. */
  ownParts(config: Config, scope: Mapping): RequestParts {
    const parts = emptyParts();
    const params = this.params.eval(config, scope);
    if (typeof params === 'string') {
      for (const [k, v] of new URLSearchParams(params)) parts.params[k] = v;
    } else parts.params = params as Mapping;
    parts.headers = this.headers.eval(config, scope);
    if (this.bodyData) parts.bodyData = this.bodyData.eval(config, scope) as Mapping | string;
    if (this.bodyJson) {
      const body = this.bodyJson.eval(config, scope);
      if (typeof body === 'string') {
        try {
          parts.bodyJson = JSON.parse(body) as Mapping;
        } catch {
          throw configError('request_body_json evaluates to text that is not a JSON object.');
        }
      } else parts.bodyJson = body as Mapping;
    }
    return parts;
  }

  /** Builds the request for one page: `contributions` come from the paginator, cursor and partition router. */
  /**
   * The request for one page. `extraFields` (the slice's extra fields) are also names of their own
   * in the URL's templates, as in the reference (`{{ download_target }}`, `{{ creation_response.id }}`).
   */
  build(
    config: Config,
    scope: Mapping,
    contributions: RequestParts[],
    nextUrl?: string,
    extraFields: Mapping = {},
  ): HttpRequest {
    const parts = combineParts([this.ownParts(config, scope), ...contributions]);
    const urlScope = { ...scope, ...extraFields };
    const base = this.url ? this.url.evalString(config, urlScope) : this.urlBase.evalString(config, urlScope);
    const path = nextUrl ?? this.path.evalString(config, urlScope).replace(/^\/+/, '');
    const url = withQuery(collapseSlashes(base === '' ? path : joinUrl(base, path)), parts.params);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(parts.headers)) headers[k] = typeof v === 'string' ? v : String(v);
    const request: HttpRequest = { method: this.method, url, headers };
    if (parts.bodyJson && Object.keys(parts.bodyJson).length > 0) {
      request.body = pythonJson(parts.bodyJson);
      headers['Content-Type'] ??= 'application/json';
    } else if (
      parts.bodyData !== undefined &&
      !(typeof parts.bodyData === 'object' && Object.keys(parts.bodyData).length === 0)
    ) {
      request.body = typeof parts.bodyData === 'string' ? parts.bodyData : encodeQuery(parts.bodyData);
      if (typeof parts.bodyData !== 'string') headers['Content-Type'] ??= 'application/x-www-form-urlencoded';
    }
    return request;
  }

  send(request: HttpRequest, signal: AbortSignal, stream: string): Promise<HttpResponse> {
    return this.client.send(request, { signal, stream });
  }
}

function mappingOrText(value: unknown, parameters: Mapping): InterpolatedMapping | Interpolated | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return Interpolated.of(value, parameters);
  if (typeof value === 'object' && !Array.isArray(value))
    return InterpolatedMapping.of(value as Mapping, parameters);
  throw configError(`A request option must be a mapping or a string, got ${JSON.stringify(value)}.`);
}

/** The newer `request_body: {type: RequestBodyJsonObject, value}` form. */
function bodyFromRequestBody(body: unknown): unknown {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as Mapping;
  return b.type === 'RequestBodyJsonObject' ? b.value : undefined;
}
