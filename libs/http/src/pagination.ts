// Pagination strategies: given the page just read, the token of the next one (or undefined: the
// last page). A strategy only computes tokens; where a token goes (a query parameter, a body
// field, the whole URL) is the request builder's business, so the same strategies serve code
// connectors and the declarative engine's paginators. Strategies keep no state between pages: the
// token of the page read is passed back in, so a sync resumed from a checkpointed token continues
// exactly where it stopped.
//
// Stop rules follow the reference CDK: offset and page number stop on an empty page or one shorter
// than the page size; their first request carries no token unless `injectOnFirstRequest`; a cursor
// stops when the next cursor is empty (undefined, null, '', 0, false, [] or {}) or `stopWhen` says so.

import type { JsonObject } from '@conveyor/protocol';
import { responseJson } from './body.js';
import type { HttpResponse } from './types.js';

/** A page token: JSON, so a caller can checkpoint it and resume from it. */
export type PageToken = string | number | boolean | JsonObject | readonly unknown[];

/** What a strategy sees of the page just read. */
export interface Page {
  response: HttpResponse;
  /** the records the API returned on this page (before any filter: a filter must not end pagination) */
  records: readonly unknown[];
  lastRecord?: unknown;
  /** the token that requested this page (undefined for a first request without one) */
  token?: PageToken | undefined;
}

export interface PaginationStrategy {
  /** the token of the first request; undefined sends it without one */
  initialToken(): PageToken | undefined;
  nextToken(page: Page): PageToken | undefined;
  /** forget anything learnt (a new partition starts) */
  reset?(): void;
  /** the page size the strategy assumes, for request builders that send it */
  readonly pageSize?: number | undefined;
}

function shortPage(records: readonly unknown[], pageSize: number | undefined): boolean {
  return records.length === 0 || (pageSize !== undefined && pageSize > 0 && records.length < pageSize);
}

function integerToken(token: PageToken | undefined, strategy: string): number | undefined {
  if (token === undefined) return undefined;
  const n = typeof token === 'string' && token.trim() !== '' ? Number(token) : token;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new TypeError(`${strategy} pagination needs an integer page token, not ${JSON.stringify(token)}.`);
  return n;
}

/** Offset = records read so far: 0 (only if injected), then +records of each page. */
export function offsetPagination(
  options: { pageSize?: number; injectOnFirstRequest?: boolean } = {},
): PaginationStrategy {
  return {
    pageSize: options.pageSize,
    initialToken: () => (options.injectOnFirstRequest ? 0 : undefined),
    nextToken: ({ records, token }) => {
      if (shortPage(records, options.pageSize)) return undefined;
      return (integerToken(token, 'Offset') ?? 0) + records.length;
    },
  };
}

/** Page numbers from `startFrom` (default 0); the first request carries none unless injected. */
export function pageNumberPagination(
  options: { startFrom?: number; pageSize?: number; injectOnFirstRequest?: boolean } = {},
): PaginationStrategy {
  const startFrom = options.startFrom ?? 0;
  return {
    pageSize: options.pageSize,
    initialToken: () => (options.injectOnFirstRequest ? startFrom : undefined),
    nextToken: ({ records, token }) => {
      if (shortPage(records, options.pageSize)) return undefined;
      const current = integerToken(token, 'Page number');
      return current === undefined ? startFrom + 1 : current + 1;
    },
  };
}

/** Python's idea of an empty value, which ends a cursor pagination in the reference. */
function isEmptyToken(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value as object).length === 0;
  return typeof value === 'number' && Number.isNaN(value);
}

/** A cursor read from each page by `next` (a template, a path, anything); `stopWhen` ends it first. */
export function cursorPagination(options: {
  next(page: Page): unknown;
  stopWhen?(page: Page): boolean;
  pageSize?: number;
  initialToken?: PageToken;
}): PaginationStrategy {
  return {
    pageSize: options.pageSize,
    initialToken: () => options.initialToken,
    nextToken: (page) => {
      if (options.stopWhen?.(page)) return undefined;
      const value = options.next(page);
      return isEmptyToken(value) ? undefined : (value as PageToken);
    },
  };
}

/** One link of a `Link` header: its URL and parameters (`rel`, `title`, ...). */
export interface Link {
  url: string;
  rel?: string;
  [param: string]: string | undefined;
}

/** A `Link` header's links by `rel` (or by URL when a link has none), as Python's requests reads them. */
export function parseLinkHeader(value: string | undefined): Record<string, Link> {
  const links: Record<string, Link> = {};
  if (!value) return links;
  for (const part of value.match(/<[^>]*>[^,<]*/g) ?? []) {
    const url = /<([^>]*)>/.exec(part)?.[1]?.trim() ?? '';
    const link: Link = { url };
    for (const param of part.slice(part.indexOf('>') + 1).split(';')) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const key = param.slice(0, eq).trim().toLowerCase();
      if (key)
        link[key] = param
          .slice(eq + 1)
          .trim()
          .replace(/^"|"$/g, '');
    }
    links[link.rel ?? url] = link;
  }
  return links;
}

/** The URL of the `Link` header's `rel="next"` (or `rel`) link, resolved against the page's URL. */
export function linkHeaderPagination(options: { rel?: string } = {}): PaginationStrategy {
  const rel = options.rel ?? 'next';
  return {
    initialToken: () => undefined,
    nextToken: ({ response }) => {
      const links = Object.values(parseLinkHeader(response.headers.link));
      const link = links.find((l) => (l.rel ?? '').split(/\s+/).includes(rel));
      return link?.url ? new URL(link.url, response.url).toString() : undefined;
    },
  };
}

/** The next page's URL from the JSON body (a path such as `['links', 'next']` or `'paging.next'`) or a function. */
export function nextUrlPagination(
  from: readonly string[] | string | ((page: Page) => string | undefined | null),
): PaginationStrategy {
  const read =
    typeof from === 'function'
      ? from
      : (page: Page) => {
          let node: unknown = responseJson(page.response);
          for (const key of typeof from === 'string' ? from.split('.') : from)
            node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
          return typeof node === 'string' ? node : undefined;
        };
  return {
    initialToken: () => undefined,
    nextToken: (page) => {
      const url = read(page);
      return url ? new URL(url, page.response.url).toString() : undefined;
    },
  };
}
