// What the streams of one source share while reading with one config: the HTTP clients (one per
// requester model, with its authenticator, error handling and the source's request budget), the
// schemas, parent streams for substreams, and the CONTROL messages an OAuth token rotation owes
// the platform. Authenticators of the manifest map onto the HTTP family's.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from '@conveyor/cdk';
import {
  type Authenticator,
  apiKeyAuth,
  type BudgetPolicy,
  basicAuth,
  bearerAuth,
  fixedDurationMs,
  HttpClient,
  type HttpRequest,
  type HttpTransport,
  oauth2RefreshAuth,
  parseIsoDuration,
  type RequestBudget,
  requestBudget,
  responseJson,
  sessionTokenAuth,
} from '@conveyor/http';
import { type AirbyteMessage, configError, transientError } from '@conveyor/protocol';
import type { AsyncJobTiming } from './async-jobs.js';
import { errorHandlingFrom } from './error-handling.js';
import { type Config, Interpolated, InterpolatedMapping } from './interpolated.js';
import type { ParentReader } from './partition-routers.js';
import { Requester } from './requester.js';
import { type Mapping, type StreamSlice, sliceOf } from './slice.js';
import type { DeclarativeStreamRuntime, StreamServices } from './stream.js';

export interface HttpServicesOptions {
  config: Config;
  manifest: Mapping;
  baseDir: string;
  transport?: HttpTransport;
  logger: Logger;
  buildStream(model: Mapping, services: HttpServices): DeclarativeStreamRuntime;
  /** how AsyncRetriever jobs wait between polls; real time by default */
  asyncTiming?: AsyncJobTiming;
}

/** A failed session check or login: the server's trouble (5xx, 429) may pass, the rest is the config's. */
function loginFailure(what: string, status: number): Error {
  if (status >= 500 || status === 429)
    return transientError(`${what} answered HTTP ${status}; the API may be down or limiting requests.`);
  return configError(
    `${what} answered HTTP ${status}; check the API URL, the session token, the username and the password.`,
  );
}

function str(value: unknown, parameters: Mapping, config: Config): string {
  return Interpolated.of(value, parameters).evalString(config);
}

export class HttpServices implements StreamServices {
  private readonly clients = new Map<Mapping, { client: HttpClient; authenticator?: Authenticator }>();
  private readonly streams = new Map<Mapping, DeclarativeStreamRuntime>();
  private readonly budget: RequestBudget | undefined;
  /** CONTROL messages waiting to be emitted (a rotated refresh token) */
  readonly control: AirbyteMessage[] = [];

  constructor(private readonly options: HttpServicesOptions) {
    this.budget = budgetFrom(options.manifest.api_budget as Mapping | undefined, options.config);
  }

  get config(): Config {
    return this.options.config;
  }

  get asyncTiming(): AsyncJobTiming | undefined {
    return this.options.asyncTiming;
  }

  stream(model: Mapping): DeclarativeStreamRuntime {
    // a StateDelegatingStream read as a parent is read in full, as parents always are
    if (model.type === 'StateDelegatingStream') return this.stream(model.full_refresh_stream as Mapping);
    let runtime = this.streams.get(model);
    if (!runtime) {
      runtime = this.options.buildStream(model, this);
      this.streams.set(model, runtime);
    }
    return runtime;
  }

  clientFor(requester: Mapping, parameters: Mapping): { client: HttpClient; authenticator?: Authenticator } {
    let entry = this.clients.get(requester);
    if (!entry) {
      const config = this.options.config;
      // built on first use: discover never evaluates credentials (the reference does not either)
      const model = requester.authenticator as Mapping | undefined;
      const authenticator = model
        ? lazily(() => this.authenticatorFrom(model, parameters, requester))
        : undefined;
      const handling = errorHandlingFrom(requester.error_handler as Mapping | undefined, parameters, config);
      const client = new HttpClient({
        transport: this.options.transport,
        authenticator,
        classify: handling.classify,
        backoff: handling.backoff,
        maxRetries: handling.maxRetries,
        budget: this.budget,
        logger: this.options.logger,
      });
      entry = { client, authenticator };
      this.clients.set(requester, entry);
    }
    return entry;
  }

  /** `requester`: the requester the authenticator belongs to (LegacySessionTokenAuthenticator reads its url_base) */
  private authenticatorFrom(
    model: Mapping,
    inherited: Mapping,
    requester: Mapping,
  ): Authenticator | undefined {
    const config = this.options.config;
    const p = { ...inherited, ...((model.$parameters as Mapping) ?? {}) };
    switch (model.type) {
      case 'NoAuth':
        return undefined;
      case 'BearerAuthenticator':
        return bearerAuth(str(model.api_token, p, config));
      case 'BasicHttpAuthenticator':
        return basicAuth(str(model.username, p, config), str(model.password ?? '', p, config));
      case 'ApiKeyAuthenticator': {
        const value = str(model.api_token, p, config);
        const inject = model.inject_into as Mapping | undefined;
        if (!inject) return apiKeyAuth({ header: str(model.header ?? 'Authorization', p, config), value });
        const name = str(inject.field_name, p, config);
        if (inject.inject_into === 'header') return apiKeyAuth({ header: name, value });
        if (inject.inject_into === 'request_parameter') return apiKeyAuth({ queryParam: name, value });
        return bodyFieldAuth(inject.inject_into === 'body_json' ? 'json' : 'form', name, value);
      }
      case 'OAuthAuthenticator':
        return this.oauth(model, p);
      case 'SessionTokenAuthenticator':
        return this.sessionToken(model, p);
      case 'LegacySessionTokenAuthenticator':
        return this.legacySessionToken(model, p, str(requester.url_base ?? '', p, config));
      case 'SelectiveAuthenticator': {
        const path = ((model.authenticator_selection_path as unknown[]) ?? []).map(String);
        let selected: unknown = config;
        for (const key of path)
          selected = selected && typeof selected === 'object' ? (selected as Mapping)[key] : undefined;
        const options = (model.authenticators as Mapping) ?? {};
        const chosen = options[String(selected)] as Mapping | undefined;
        if (!chosen) {
          throw configError(
            `The config's "${path.join('.')}" is ${JSON.stringify(selected)}; this manifest knows the authentication methods ${Object.keys(options).join(', ')}.`,
          );
        }
        return this.authenticatorFrom(chosen, p, requester);
      }
      default:
        throw configError(`The authenticator "${String(model.type)}" is not supported.`);
    }
  }

  private oauth(model: Mapping, p: Mapping): Authenticator {
    const config = this.options.config;
    const updater = model.refresh_token_updater as Mapping | undefined;
    const bodyExtra = model.refresh_request_body
      ? (InterpolatedMapping.of(model.refresh_request_body as Mapping, p).eval(config) as Record<
          string,
          string
        >)
      : undefined;
    const headers = model.refresh_request_headers
      ? (InterpolatedMapping.of(model.refresh_request_headers as Mapping, p).eval(config) as Record<
          string,
          string
        >)
      : undefined;
    // with a token updater, the access token and its expiry live in the config (where the last
    // rotation put them) and are used until they expire
    const atPath = (path: unknown, fallback: string[]) => {
      let node: unknown = config;
      for (const key of Array.isArray(path) ? path.map(String) : fallback)
        node = node && typeof node === 'object' ? (node as Mapping)[key] : undefined;
      return typeof node === 'string' && node !== '' ? node : undefined;
    };
    const expiryText = updater
      ? atPath(updater.token_expiry_date_config_path, ['credentials', 'token_expiry_date'])
      : model.token_expiry_date === undefined
        ? undefined
        : str(model.token_expiry_date, p, config);
    const expiry = expiryText === undefined ? undefined : Date.parse(expiryText);
    const accessToken = updater
      ? atPath(updater.access_token_config_path, ['credentials', 'access_token'])
      : model.access_token_value === undefined
        ? undefined
        : str(model.access_token_value, p, config);
    const grant = model.grant_type === undefined ? undefined : str(model.grant_type, p, config);
    const scopes = Array.isArray(model.scopes) ? model.scopes.map(String) : undefined;
    // the refresh-token grant always sends the field (empty when the config has none), as the reference does
    const refreshGrant = (grant ?? 'refresh_token') === 'refresh_token';
    // with a token updater the refresh token lives in the config where the last rotation put it
    const refreshToken = !refreshGrant
      ? undefined
      : updater
        ? (atPath(updater.refresh_token_config_path, ['credentials', 'refresh_token']) ?? '')
        : str(model.refresh_token ?? '', p, config);
    return oauth2RefreshAuth({
      tokenEndpoint: str(model.token_refresh_endpoint, p, config),
      clientId: model.client_id === undefined ? undefined : str(model.client_id, p, config),
      clientSecret: model.client_secret === undefined ? undefined : str(model.client_secret, p, config),
      refreshToken,
      grantType: grant,
      scopes,
      extraBody: bodyExtra,
      refreshRequestHeaders: headers,
      accessTokenName:
        typeof model.access_token_name === 'string' ? str(model.access_token_name, p, config) : undefined,
      expiresInName:
        typeof model.expires_in_name === 'string' ? str(model.expires_in_name, p, config) : undefined,
      refreshTokenName:
        typeof updater?.refresh_token_name === 'string' ? updater.refresh_token_name : undefined,
      clientIdName: typeof model.client_id_name === 'string' ? model.client_id_name : undefined,
      clientSecretName: typeof model.client_secret_name === 'string' ? model.client_secret_name : undefined,
      grantTypeName: typeof model.grant_type_name === 'string' ? model.grant_type_name : undefined,
      expiresAtFormat:
        typeof model.token_expiry_date_format === 'string' ? model.token_expiry_date_format : undefined,
      accessToken: accessToken || undefined,
      accessTokenExpiresAt: Number.isFinite(expiry) ? expiry : undefined,
      transport: this.options.transport,
      onRefreshTokenRotated: updater
        ? (newRefreshToken, expiresAt, newAccessToken) =>
            this.rotated(updater, newRefreshToken, expiresAt, newAccessToken)
        : undefined,
    });
  }

  /** A rotated refresh token goes into the config and out as a CONTROL message, so it is not lost. */
  private rotated(updater: Mapping, refreshToken: string, expiresAt: number, accessToken: string): void {
    const config = this.options.config;
    const put = (path: unknown, fallback: string[], value: string) => {
      const keys = Array.isArray(path) ? path.map(String) : fallback;
      let node: Mapping = config;
      for (const key of keys.slice(0, -1)) {
        if (!node[key] || typeof node[key] !== 'object') node[key] = {};
        node = node[key] as Mapping;
      }
      node[keys.at(-1)!] = value;
    };
    put(updater.refresh_token_config_path, ['credentials', 'refresh_token'], refreshToken);
    put(updater.access_token_config_path, ['credentials', 'access_token'], accessToken);
    put(
      updater.token_expiry_date_config_path,
      ['credentials', 'token_expiry_date'],
      new Date(expiresAt).toISOString(),
    );
    this.control.push({
      type: 'CONTROL',
      control: {
        type: 'CONNECTOR_CONFIG',
        emitted_at: Date.now(),
        connectorConfig: { config: structuredClone(config) },
      },
    } as AirbyteMessage);
  }

  private sessionToken(model: Mapping, p: Mapping): Authenticator {
    const config = this.options.config;
    const loginModel = model.login_requester as Mapping;
    const lp = { ...p, ...((loginModel.$parameters as Mapping) ?? {}) };
    const login = this.clientFor(loginModel, lp);
    const loginRequester = new Requester(loginModel, lp, login.client, login.authenticator);
    const auth = (model.request_authentication as Mapping | undefined) ?? { type: 'Bearer' };
    // an ISO 8601 duration, or (as some manifests write it) a number of seconds
    const duration = model.expiration_duration === undefined ? undefined : String(model.expiration_duration);
    const expiresMs =
      duration === undefined
        ? undefined
        : /^\d+$/.test(duration)
          ? Number(duration) * 1000
          : fixedDurationMs(parseIsoDuration(duration));
    const tokenPath = ((model.session_token_path as unknown[]) ?? []).map(String);
    const inject = auth.inject_into as Mapping | undefined;
    const fieldName = inject ? str(inject.field_name, p, config) : undefined;
    const request: HttpRequest = loginRequester.build(config, {}, []);
    return sessionTokenAuth({
      login: { request, tokenPath, client: login.client },
      ...(auth.type === 'Bearer'
        ? {}
        : inject?.inject_into === 'request_parameter'
          ? { queryParam: fieldName }
          : { header: fieldName, prefix: '' }),
      expiresAfterMs: expiresMs,
    });
  }

  /**
   * The deprecated session-token authenticator, as the reference runs it: a configured session
   * token is checked with a GET of `validate_session_url` and used when the answer is not 401;
   * otherwise (or without one) a POST of `{"username", "password"}` as JSON to `login_url` answers
   * the token at `session_token_response_key`. Both paths are relative to the requester's
   * url_base and are sent without the requester's retries or error handler. The token goes in
   * `header` as it is. The reference checks the token before every request; we check it once.
   */
  private legacySessionToken(model: Mapping, p: Mapping, urlBase: string): Authenticator {
    const config = this.options.config;
    const plain = new HttpClient({
      transport: this.options.transport,
      logger: this.options.logger,
      maxRetries: 0,
      classify: (response) =>
        response ? { action: 'success' } : { action: 'fail', failureType: 'transient' },
    });
    const header = str(model.header, p, config);
    return sessionTokenAuth({
      header,
      prefix: '',
      login: async (signal) => {
        const options = signal ? { signal } : {};
        const token = str(model.session_token ?? '', p, config);
        if (token) {
          const path = str(model.validate_session_url, p, config);
          const checked = await plain.send(
            { method: 'GET', url: `${urlBase}${path}`, headers: { [header]: token } },
            options,
          );
          if (checked.status < 400) return token;
          if (checked.status !== 401)
            throw loginFailure(`Checking the session token (GET ${path})`, checked.status);
        }
        const username = str(model.username ?? '', p, config);
        const password = str(model.password ?? '', p, config);
        if (!username || !password) {
          throw configError(
            'Invalid credentials: the session token is not valid or not given, and there is no username and password to log in with.',
          );
        }
        const path = str(model.login_url, p, config);
        const answer = await plain.send(
          {
            method: 'POST',
            url: `${urlBase}${path}`,
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ username, password }),
          },
          options,
        );
        if (answer.status >= 400) throw loginFailure(`Logging in (POST ${path})`, answer.status);
        const key = str(model.session_token_response_key, p, config);
        const body = responseJson(answer) as Mapping | undefined;
        const value = body && typeof body === 'object' ? body[key] : undefined;
        if (value === undefined || value === null || typeof value === 'object') {
          throw configError(`The login answer (POST ${path}) has no session token at "${key}".`);
        }
        return String(value);
      },
    });
  }

  schemaFor(stream: Mapping, parameters: Mapping): Mapping {
    const loader = (stream.schema_loader as Mapping | undefined) ?? {
      type: 'JsonFileSchemaLoader',
      file_path: `./schemas/${String(parameters.name ?? stream.name)}.json`,
    };
    const p = { ...parameters, ...((loader.$parameters as Mapping) ?? {}) };
    switch (loader.type) {
      case 'InlineSchemaLoader':
        return (loader.schema as Mapping) ?? {};
      case 'JsonFileSchemaLoader': {
        const path = str(loader.file_path ?? `./schemas/${String(p.name)}.json`, p, this.options.config);
        const file = resolve(this.options.baseDir, path.replace(/^\.\/source_[^/]+\//, './'));
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as Mapping;
        } catch (error) {
          throw configError(
            `The schema file ${path} could not be read next to the manifest: ${(error as Error).message}.`,
          );
        }
      }
      default:
        throw configError(
          `The schema loader "${String(loader.type)}" is not supported (InlineSchemaLoader, JsonFileSchemaLoader).`,
        );
    }
  }

  readParent: ParentReader = async function* (this: HttpServices, model: Mapping, signal: AbortSignal) {
    const parent = this.stream(model);
    for await (const slice of parent.slices(this.config, undefined, signal)) {
      for await (const page of parent.readSlice(this.config, slice, signal)) {
        for (const record of page.records) yield { record, slice: page.slice };
      }
    }
  }.bind(this);
}

/** An authenticator made on its first use. */
function lazily(make: () => Authenticator | undefined): Authenticator {
  let made: { auth: Authenticator | undefined } | undefined;
  const get = () => {
    made ??= { auth: make() };
    return made.auth;
  };
  return {
    apply: async (request, signal) => {
      const auth = get();
      return auth ? auth.apply(request, signal) : request;
    },
    invalidate: (rejected) => get()?.invalidate?.(rejected) ?? false,
  };
}

/** An API key placed in the request body (form or JSON). */
function bodyFieldAuth(kind: 'json' | 'form', name: string, value: string): Authenticator {
  return {
    apply: async (request) => {
      const text =
        typeof request.body === 'string'
          ? request.body
          : request.body
            ? Buffer.from(request.body).toString('utf8')
            : '';
      if (kind === 'json') {
        const body = text ? (JSON.parse(text) as Mapping) : {};
        body[name] = value;
        return {
          ...request,
          body: JSON.stringify(body),
          headers: { 'Content-Type': 'application/json', ...request.headers },
        };
      }
      const form = new URLSearchParams(text);
      form.set(name, value);
      return { ...request, body: form.toString() };
    },
    invalidate: () => false,
  };
}

function budgetFrom(model: Mapping | undefined, config: Config): RequestBudget | undefined {
  if (!model) return undefined;
  const policies: BudgetPolicy[] = [];
  for (const policy of (model.policies as Mapping[]) ?? []) {
    const matchers = ((policy.matchers as Mapping[]) ?? []).map(matcherFrom);
    const matches = matchers.length === 0 ? undefined : (r: HttpRequest) => matchers.some((m) => m(r));
    if (policy.type === 'MovingWindowCallRatePolicy') {
      for (const rate of (policy.rates as Mapping[]) ?? []) {
        policies.push({
          kind: 'moving',
          limit: Number(Interpolated.of(rate.limit).eval(config)),
          intervalMs: durationMs(rate.interval),
          matches,
        });
      }
    } else if (policy.type === 'FixedWindowCallRatePolicy') {
      policies.push({
        kind: 'fixed',
        limit: Number(Interpolated.of(policy.call_limit).eval(config)),
        intervalMs: durationMs(policy.period),
        matches,
      });
    }
  }
  return policies.length > 0 ? requestBudget({ policies }) : undefined;
}

function durationMs(value: unknown): number {
  return fixedDurationMs(parseIsoDuration(String(value)));
}

function matcherFrom(model: Mapping): (request: HttpRequest) => boolean {
  const method = typeof model.method === 'string' ? model.method.toUpperCase() : undefined;
  const pattern = typeof model.url_path_pattern === 'string' ? new RegExp(model.url_path_pattern) : undefined;
  const base = typeof model.url_base === 'string' ? model.url_base : undefined;
  return (request) => {
    if (method && request.method !== method) return false;
    const url = new URL(request.url);
    if (base && !request.url.startsWith(base)) return false;
    if (pattern && !pattern.test(url.pathname)) return false;
    return true;
  };
}

export type { StreamSlice };
export { sliceOf };
