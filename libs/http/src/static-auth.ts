// Authenticators whose credentials never change during a sync: an API key (in a header or the query
// string), a bearer token, HTTP Basic. They have nothing to refresh, so a 401 fails at once as a
// config error instead of being retried.

import type { Authenticator, HttpRequest } from './types.js';

/** `request` with header `name` set to `value`, replacing any spelling of the same name. */
export function withHeader(request: HttpRequest, name: string, value: string): HttpRequest {
  const lower = name.toLowerCase();
  const headers: Record<string, string> = {};
  for (const [key, existing] of Object.entries(request.headers))
    if (key.toLowerCase() !== lower) headers[key] = existing;
  headers[name] = value;
  return { ...request, headers };
}

/** `request` with query parameter `name` set to `value` (replacing an earlier one of that name). */
export function withQueryParam(request: HttpRequest, name: string, value: string): HttpRequest {
  const url = new URL(request.url);
  url.searchParams.set(name, value);
  return { ...request, url: url.toString() };
}

export type ApiKeyAuthOptions = {
  value: string;
  /** put before the value, separated by a space (`Token abc`) */
  prefix?: string;
} & ({ header: string; queryParam?: never } | { queryParam: string; header?: never });

/** An API key in a header (`{ header: 'X-API-Key' }`) or a query parameter (`{ queryParam: 'api_key' }`). */
export function apiKeyAuth(options: ApiKeyAuthOptions): Authenticator {
  const value = options.prefix ? `${options.prefix} ${options.value}` : options.value;
  return {
    apply: async (request) =>
      options.header !== undefined
        ? withHeader(request, options.header, value)
        : withQueryParam(request, options.queryParam as string, value),
    invalidate: () => false,
  };
}

/** `Authorization: Bearer <token>`. */
export function bearerAuth(token: string): Authenticator {
  return {
    apply: async (request) => withHeader(request, 'Authorization', `Bearer ${token}`),
    invalidate: () => false,
  };
}

/** `Authorization: Basic base64(username:password)`. */
export function basicAuth(username: string, password = ''): Authenticator {
  const encoded = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
  return {
    apply: async (request) => withHeader(request, 'Authorization', `Basic ${encoded}`),
    invalidate: () => false,
  };
}

/** No credentials at all (public APIs), so every client has an authenticator to call. */
export const noAuth: Authenticator = { apply: async (request) => request, invalidate: () => false };
