// Session-token authentication: log in once (a function, or a login request and the path of the
// token in its JSON answer), send the token with every request, log in again when it has lived
// `expiresAfterMs` or after a 401.

import { configError } from '@conveyor/protocol';
import { responseJson } from './body.js';
import type { HttpClient } from './client.js';
import { systemClock } from './clock.js';
import { withHeader, withQueryParam } from './static-auth.js';
import type { Authenticator, Clock, HttpRequest } from './types.js';

/** A login request and where the token is in its JSON answer (`['data', 'token']`). */
export interface LoginRequest {
  request: HttpRequest;
  tokenPath: readonly string[];
  client: HttpClient;
}

export interface SessionTokenAuthOptions {
  login: ((signal?: AbortSignal) => Promise<string>) | LoginRequest;
  /** where the token goes: a header (default `Authorization` with prefix `Bearer`) or a query parameter */
  header?: string;
  prefix?: string;
  queryParam?: string;
  /** log in again after this long; default never (only after a 401) */
  expiresAfterMs?: number;
  clock?: Clock;
}

async function loginWith(login: LoginRequest, signal?: AbortSignal): Promise<string> {
  const response = await login.client.send(login.request, signal ? { signal } : {});
  let node: unknown = responseJson(response);
  for (const key of login.tokenPath)
    node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  if (typeof node !== 'string' && typeof node !== 'number')
    throw configError(
      `The login request answered without a session token at "${login.tokenPath.join('.')}"; check the session token path and the login credentials.`,
    );
  return String(node);
}

export function sessionTokenAuth(options: SessionTokenAuthOptions): Authenticator {
  const clock = options.clock ?? systemClock;
  const useHeader = options.queryParam === undefined;
  const header = options.header ?? 'Authorization';
  const prefix = options.prefix ?? (options.header === undefined ? 'Bearer' : '');
  let token: string | undefined;
  let loggedInAt = 0;
  let pending: Promise<string> | undefined;

  const login = (signal?: AbortSignal) =>
    typeof options.login === 'function' ? options.login(signal) : loginWith(options.login, signal);

  async function current(signal?: AbortSignal): Promise<string> {
    const expired =
      options.expiresAfterMs !== undefined && clock.now() - loggedInAt >= options.expiresAfterMs;
    if (token !== undefined && !expired) return token;
    pending ??= login(signal)
      .then((t) => {
        token = t;
        loggedInAt = clock.now();
        return t;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  return {
    apply: async (request, signal) => {
      const value = await current(signal);
      return useHeader
        ? withHeader(request, header, prefix ? `${prefix} ${value}` : value)
        : withQueryParam(request, options.queryParam as string, value);
    },
    invalidate: () => {
      token = undefined;
      return true;
    },
  };
}
