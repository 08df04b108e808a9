// HTTP for connectors: honours HTTP_PROXY / HTTPS_PROXY / NO_PROXY (so the acceptance kit can record
// and replay a connector's traffic), classifies failures by what the engine should do, retries the
// transient ones, and never puts a URL's query string (where keys often travel) into an error.

import { createRequire } from 'node:module';
import { configError, systemError, transientError } from '@conveyor/protocol';
import type { Dispatcher } from 'undici';

type Undici = typeof import('undici');
let undici: Undici | undefined;

/** undici, loaded on first use: it is a third of the CLI's start-up, and most syncs make no HTTP request. */
function loadUndici(): Undici {
  undici ??= createRequire(import.meta.url)('undici') as Undici;
  return undici;
}

const agents = new Map<string, Dispatcher>();

function bypassed(host: string): boolean {
  const list = (process.env.NO_PROXY ?? process.env.no_proxy ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  return list.some(
    (h) => h === '*' || host === h.replace(/^\./, '') || host.endsWith(h.startsWith('.') ? h : `.${h}`),
  );
}

/** The proxy for a URL from HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as curl and most clients read them. */
export function proxyFor(url: string): Dispatcher | undefined {
  const { protocol, hostname } = new URL(url);
  const env = process.env;
  const proxy =
    protocol === 'https:'
      ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy)
      : (env.HTTP_PROXY ?? env.http_proxy);
  if (!proxy || bypassed(hostname)) return undefined;
  let agent = agents.get(proxy);
  if (!agent) {
    agent = new (loadUndici().ProxyAgent)(proxy);
    agents.set(proxy, agent);
  }
  return agent;
}

export interface HttpRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Attempts for transient failures (network errors, 429, 5xx); default 3. */
  attempts?: number;
  signal?: AbortSignal;
}

/** Where a request went, safe to print: no query string, no credentials. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET (or another method) a JSON document; throws a classified ConveyorError on failure. */
export async function fetchJson<T = unknown>(url: string, request: HttpRequest = {}): Promise<T> {
  const attempts = request.attempts ?? 3;
  const where = describeUrl(url);
  try {
    new URL(url);
  } catch {
    throw configError(
      `"${where}" is not a URL; check the base URL in the config (it needs http:// or https://).`,
    );
  }
  const { fetch: undiciFetch } = loadUndici(); // outside the retries: a failure to load it is no network error
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= attempts;
    let res: Awaited<ReturnType<Undici['fetch']>>;
    try {
      const via = proxyFor(url);
      res = await undiciFetch(url, {
        method: request.method ?? 'GET',
        headers: { accept: 'application/json', ...request.headers },
        ...(request.body !== undefined ? { body: request.body } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
        ...(via ? { dispatcher: via } : {}),
      });
    } catch (error) {
      if (request.signal?.aborted) throw error;
      if (last)
        throw transientError(`${where} could not be reached (${(error as Error).message}); try again later.`);
      await sleep(250 * 2 ** (attempt - 1));
      continue;
    }
    if (res.ok) {
      const text = await res.text();
      try {
        return JSON.parse(text) as T;
      } catch {
        throw systemError(`${where} answered HTTP ${res.status} with a body that is not JSON.`);
      }
    }
    await res.body?.cancel();
    if (res.status === 401 || res.status === 403) {
      throw configError(
        `${where} refused the credentials (HTTP ${res.status}). Check the API key or token in the config.`,
      );
    }
    if (res.status === 404)
      throw configError(`${where} does not exist (HTTP 404). Check the base URL in the config.`);
    if (res.status !== 429 && res.status < 500) throw systemError(`${where} answered HTTP ${res.status}.`);
    if (last)
      throw transientError(`${where} answered HTTP ${res.status} ${attempts} times; try again later.`);
    await sleep(250 * 2 ** (attempt - 1));
  }
}
