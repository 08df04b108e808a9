// OAuth 2.0 with a refresh token (or client credentials): fetches an access token from the token
// endpoint, refreshes it shortly before it expires and after a 401, and hands a rotated refresh
// token to the caller at once, because an API that rotates them invalidates the old one: if the new
// one is lost, the next sync cannot authenticate. The source turns the callback into a CONTROL
// message that updates the stored config.
//
// The token request is a form-encoded POST like the reference CDK's: grant type, client id and
// secret (left out when the caller sends them in an Authorization header), refresh token, `scopes`,
// then any extra fields that do not override those. The token fields are found anywhere in the
// JSON answer up to five levels deep (some APIs wrap them in `data`).

import { describeUrl } from '@conveyor/cdk';
import { configError, SecretMasker, systemError } from '@conveyor/protocol';
import { responseJson } from './body.js';
import { HttpClient } from './client.js';
import { systemClock } from './clock.js';
import { requestMasker } from './errors.js';
import { withHeader } from './static-auth.js';
import type { Authenticator, Clock, HttpRequest, HttpTransport, ResponseClassifier } from './types.js';

export interface OAuth2RefreshOptions {
  tokenEndpoint: string;
  clientId?: string;
  clientSecret?: string;
  /** absent for the client-credentials grant */
  refreshToken?: string;
  /** default 'refresh_token' */
  grantType?: string;
  scopes?: readonly string[];
  /** more fields for the token request; the standard ones win over these */
  extraBody?: Record<string, string | number | boolean | readonly string[]>;
  /** headers of the token request; with an Authorization header the client id and secret stay out of the body */
  refreshRequestHeaders?: Record<string, string>;
  /** send the fields in the token request's query string with an empty body (some providers want that) */
  sendAsQueryParams?: boolean;
  /** field names in the token request and answer */
  accessTokenName?: string;
  expiresInName?: string;
  refreshTokenName?: string;
  clientIdName?: string;
  clientSecretName?: string;
  grantTypeName?: string;
  /**
   * Set when the answer's expiry field is a datetime rather than seconds to live. The value is
   * parsed as ISO 8601 / RFC 2822 (as the reference does, whatever the format says) unless
   * `parseExpiresAt` is given.
   */
  expiresAtFormat?: string;
  parseExpiresAt?: (value: unknown) => number;
  /** a token the config already holds, used until it expires */
  accessToken?: string;
  accessTokenExpiresAt?: number;
  /** called with a new refresh token whenever the endpoint rotates it; awaited before the token is used */
  onRefreshTokenRotated?(
    newRefreshToken: string,
    accessTokenExpiresAt: number,
    accessToken: string,
  ): void | Promise<void>;
  /** refresh this long before expiry (never more than half the token's lifetime); default 60 000 */
  refreshMarginMs?: number;
  /** the header carrying the token (default Authorization) and its prefix (default Bearer) */
  header?: string;
  prefix?: string;
  transport?: HttpTransport;
  clock?: Clock;
  /** retries of the token request on 429, 5xx and network errors; default 3 */
  maxRetries?: number;
  masker?: { mask(text: string): string };
}

/** Rejections of the refresh token itself: the user must authorise the connector again. */
const REJECTED = new Set([400, 401, 403]);

const DEFAULT_LIFETIME_MS = 3_600_000;

/** The answer's value at `name`, searched breadth-first up to five levels deep. */
function findField(data: unknown, name: string): unknown {
  let level: unknown[] = [data];
  for (let depth = 0; depth < 5 && level.length > 0; depth++) {
    const next: unknown[] = [];
    for (const node of level) {
      if (node === null || typeof node !== 'object') continue;
      if (!Array.isArray(node) && name in node) return (node as Record<string, unknown>)[name];
      next.push(...(Array.isArray(node) ? node : Object.values(node)));
    }
    level = next;
  }
  return undefined;
}

/** OAuth 2.0 refresh-token (or client-credentials) authentication. */
export function oauth2RefreshAuth(options: OAuth2RefreshOptions): Authenticator & {
  /** the refresh token in use (the latest rotation) */
  readonly refreshToken: string | undefined;
} {
  const clock = options.clock ?? systemClock;
  const header = options.header ?? 'Authorization';
  const prefix = options.prefix ?? 'Bearer';
  const names = {
    accessToken: options.accessTokenName ?? 'access_token',
    expiresIn: options.expiresInName ?? 'expires_in',
    refreshToken: options.refreshTokenName ?? 'refresh_token',
    clientId: options.clientIdName ?? 'client_id',
    clientSecret: options.clientSecretName ?? 'client_secret',
    grantType: options.grantTypeName ?? 'grant_type',
  };
  const endpoint = describeUrl(options.tokenEndpoint);
  const secrets = new SecretMasker(
    [options.clientSecret, options.refreshToken, options.accessToken].filter((s): s is string => !!s),
  );
  const masker = { mask: (text: string) => secrets.mask(options.masker ? options.masker.mask(text) : text) };

  // the token endpoint's answers are judged here, not by the default classifier: only 429, 5xx and
  // network errors are worth retrying
  const classify: ResponseClassifier = (response) =>
    !response || response.status === 429 || response.status >= 500
      ? { action: 'retry', failureType: 'transient' }
      : { action: 'success' };
  const client = new HttpClient({
    transport: options.transport,
    clock,
    classify,
    maxRetries: options.maxRetries ?? 3,
    masker,
    describe: () => `the OAuth token request to ${endpoint}`,
  });

  let refreshToken = options.refreshToken;
  let accessToken = options.accessToken;
  let expiresAt = options.accessToken ? (options.accessTokenExpiresAt ?? Number.POSITIVE_INFINITY) : 0;
  let issuedAt = clock.now();
  let pending: Promise<string> | undefined;

  const headerValue = (token: string) => (prefix ? `${prefix} ${token}` : token);

  function tokenRequest(): HttpRequest {
    const fields: [string, string][] = [[names.grantType, options.grantType ?? 'refresh_token']];
    const credentialsInHeader = Object.keys(options.refreshRequestHeaders ?? {}).some(
      (h) => h.toLowerCase() === 'authorization',
    );
    if (!credentialsInHeader) {
      if (options.clientId !== undefined) fields.push([names.clientId, options.clientId]);
      if (options.clientSecret !== undefined) fields.push([names.clientSecret, options.clientSecret]);
    }
    if (refreshToken !== undefined) fields.push([names.refreshToken, refreshToken]);
    for (const scope of options.scopes ?? []) fields.push(['scopes', scope]);
    const taken = new Set(fields.map(([k]) => k));
    for (const [key, value] of Object.entries(options.extraBody ?? {})) {
      if (taken.has(key)) continue;
      if (Array.isArray(value)) for (const v of value) fields.push([key, String(v)]);
      else fields.push([key, String(value)]);
    }
    const form = new URLSearchParams(fields);
    if (options.sendAsQueryParams) {
      const url = new URL(options.tokenEndpoint);
      for (const [k, v] of fields) url.searchParams.append(k, v);
      return { method: 'POST', url: url.toString(), headers: { ...options.refreshRequestHeaders } };
    }
    return {
      method: 'POST',
      url: options.tokenEndpoint,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.refreshRequestHeaders },
      body: form.toString(),
    };
  }

  function parseExpiry(value: unknown, now: number): number {
    if (options.parseExpiresAt) return options.parseExpiresAt(value);
    if (options.expiresAtFormat !== undefined) {
      const at = Date.parse(String(value));
      if (Number.isNaN(at))
        throw systemError(
          `The OAuth token endpoint ${endpoint} answered "${names.expiresIn}" = "${String(value).slice(0, 40)}", which is not a date; check the token expiry date format.`,
        );
      return at;
    }
    const seconds = Number(value);
    if (!Number.isFinite(seconds))
      throw systemError(
        `The OAuth token endpoint ${endpoint} answered "${names.expiresIn}" = "${String(value).slice(0, 40)}", not a number of seconds; set the expiry date format if it is a date.`,
      );
    return now + Math.trunc(seconds) * 1000;
  }

  async function refresh(signal?: AbortSignal): Promise<string> {
    const request = tokenRequest();
    const response = await client.send(request, signal ? { signal } : {});
    const mask = requestMasker(request, masker);
    if (response.status >= 400) {
      let provider = '';
      try {
        const error = findField(responseJson(response), 'error');
        if (typeof error === 'string') provider = `: ${mask(error).slice(0, 60)}`;
      } catch {
        // a body that is not JSON says nothing more useful
      }
      if (REJECTED.has(response.status))
        throw configError(
          `The OAuth token endpoint ${endpoint} rejected the refresh request (HTTP ${response.status}${provider}): the refresh token or client credentials are invalid, expired or already used. Re-authenticate the source to get new ones.`,
        );
      throw systemError(
        `The OAuth token endpoint ${endpoint} answered HTTP ${response.status}${provider} to the refresh request; check the token endpoint URL.`,
      );
    }
    const data = responseJson(response);
    const token = findField(data, names.accessToken);
    if (typeof token !== 'string' || token === '') {
      const keys = data && typeof data === 'object' ? Object.keys(data).slice(0, 10).join(', ') : typeof data;
      throw systemError(
        `The OAuth token endpoint ${endpoint} answered without an access token at "${names.accessToken}" (fields: ${keys}); check the access token field name.`,
      );
    }
    const now = clock.now();
    const expiry = findField(data, names.expiresIn);
    const newExpiresAt =
      expiry !== undefined && expiry !== null
        ? parseExpiry(expiry, now)
        : expiresAt > now && Number.isFinite(expiresAt)
          ? expiresAt
          : now + DEFAULT_LIFETIME_MS;
    secrets.add([token]);
    const rotated = findField(data, names.refreshToken);
    if (typeof rotated === 'string' && rotated !== '' && rotated !== refreshToken) {
      secrets.add([rotated]);
      refreshToken = rotated;
      await options.onRefreshTokenRotated?.(rotated, newExpiresAt, token);
    }
    accessToken = token;
    expiresAt = newExpiresAt;
    issuedAt = now;
    return token;
  }

  function fresh(): boolean {
    if (accessToken === undefined) return false;
    if (!Number.isFinite(expiresAt)) return true;
    const margin = Math.min(options.refreshMarginMs ?? 60_000, (expiresAt - issuedAt) / 2);
    return clock.now() < expiresAt - margin;
  }

  async function token(signal?: AbortSignal): Promise<string> {
    if (fresh()) return accessToken as string;
    // one refresh at a time: concurrent partitions wait for the same answer
    pending ??= refresh(signal).finally(() => {
      pending = undefined;
    });
    return pending;
  }

  return {
    get refreshToken() {
      return refreshToken;
    },
    apply: async (request, signal) => withHeader(request, header, headerValue(await token(signal))),
    invalidate: (rejected) => {
      if (options.refreshToken === undefined && options.clientSecret === undefined) return false;
      const sent = rejected
        ? Object.entries(rejected.headers).find(([k]) => k.toLowerCase() === header.toLowerCase())?.[1]
        : undefined;
      // the rejected request carried an older token: a refresh already happened, use its token
      if (accessToken !== undefined && sent !== undefined && sent !== headerValue(accessToken)) return true;
      accessToken = undefined;
      expiresAt = 0;
      return true;
    },
  };
}
