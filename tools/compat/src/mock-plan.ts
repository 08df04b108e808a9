// What the mock answers, planned from a manifest already pointed at the mock: one route per stream
// (its path as a pattern, where its records go, how its pagination ends) and one per token endpoint
// (OAuth refresh, session login). Built once per manifest; the server then only looks routes up.

import type { RecordShape } from './fake-data.js';
import { formatDatetime } from './fake-data.js';
import {
  applyParameters,
  isObject,
  type Json,
  type JsonObject,
  resolveRefs,
  walkObjects,
} from './manifest-model.js';

export interface TokenOption {
  field: string;
  injectInto: string;
}

export type Paging =
  | { kind: 'none' }
  | {
      kind: 'cursor';
      /** where the next token goes: a path in the body, the `Link` header, or the last record's field */
      source: { in: 'body'; path: string[] } | { in: 'link' } | { in: 'last_record'; field: string };
      /** the token is a whole URL the engine requests next (RequestPath) */
      tokenIsUrl: boolean;
      /** other body paths the stop condition reads: true while pages remain, false on the last */
      flags: string[][];
      recordsPerPage: number;
    }
  | {
      kind: 'offset' | 'page';
      option: TokenOption | undefined;
      pageSize: number | undefined;
      startFrom: number;
    };

export interface RecordRoute {
  kind: 'records';
  stream: string;
  pattern: RegExp;
  literalLength: number;
  fieldPath: string[];
  paging: Paging;
  shape: RecordShape;
  format: 'json' | 'jsonl' | 'xml';
  /** words of the stream's request body outside its templates (a GraphQL query's field names) */
  bodyWords: string[];
}

export interface TokenRoute {
  kind: 'token';
  pattern: RegExp;
  literalLength: number;
  body: JsonObject;
}

export type Route = RecordRoute | TokenRoute;

/** Pages a paginated stream answers before the last one. */
export const PAGES = 3;
const DEFAULT_RECORDS_PER_PAGE = 2;

const CONFIG_EXPRESSION =
  /^\{\{\s*config(?:\.(\w+)|\[\s*['"]([^'"]+)['"]\s*\]|\.get\(\s*['"]([^'"]+)['"]\s*(?:,\s*([^)]*))?\))\s*(?:\|\s*int\s*)?\}\}$/;

/** The value of the simplest templates (`{{ config['x'] }}`, `{{ config.get('x', 5) }}`); else undefined. */
export function evalConfigTemplate(text: string, config: JsonObject): Json | undefined {
  const match = CONFIG_EXPRESSION.exec(text.trim());
  if (!match) return undefined;
  const key = (match[1] ?? match[2] ?? match[3])!;
  if (key in config) return config[key];
  const fallback = match[4]?.trim();
  if (fallback === undefined) return undefined;
  const number = Number(fallback);
  return Number.isFinite(number) ? number : fallback.replace(/^['"]|['"]$/g, '');
}

function numberOf(value: Json | undefined, config: JsonObject): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const direct = Number(value);
  if (value.trim() !== '' && Number.isFinite(direct)) return direct;
  const evaluated = evalConfigTemplate(value, config);
  const n = typeof evaluated === 'number' ? evaluated : Number(evaluated);
  return Number.isFinite(n) ? n : undefined;
}

/** Python methods a template calls on a value: where a chain of keys ends. */
const METHODS = new Set(['get', 'items', 'keys', 'values', 'split', 'lower', 'upper', 'strip', 'replace']);

const ACCESSOR = /^\s*(?:\.get\(\s*['"]([^'"]+)['"][^)]*\)|\.(\w+)|\[\s*['"]([^'"]+)['"]\s*\])/;

/**
 * The chains of keys read from `variable` in a template (`response.a.get('b', {})['c']` -> a,b,c).
 * With `throughGet: false` a chain ends at `.get(...)`: a key read that way may be absent.
 */
export function readPaths(template: string, variable: string, throughGet = true): string[][] {
  const paths: string[][] = [];
  const start = new RegExp(`\\b${variable}\\b`, 'g');
  for (let match = start.exec(template); match; match = start.exec(template)) {
    let rest = template.slice(match.index + variable.length);
    const path: string[] = [];
    for (let step = ACCESSOR.exec(rest); step; step = ACCESSOR.exec(rest)) {
      const key = (step[1] ?? step[2] ?? step[3])!;
      if (step[2] !== undefined && METHODS.has(key)) break;
      if (step[1] !== undefined && !throughGet) break;
      path.push(key);
      rest = rest.slice(step[0].length);
    }
    if (path.length > 0) paths.push(path);
  }
  return paths;
}

const LAST_ITEM_FIELD = /\[\s*-1\s*\]\s*(?:\[\s*['"]([^'"]+)['"]\s*\]|\.(\w+))/;

const startsWith = (path: readonly string[], prefix: readonly string[]): boolean =>
  prefix.length <= path.length && prefix.every((key, i) => path[i] === key);

function pagingOf(paginator: Json | undefined, fieldPath: string[], config: JsonObject): Paging {
  if (!isObject(paginator) || paginator.type !== 'DefaultPaginator') return { kind: 'none' };
  const strategy = isObject(paginator.pagination_strategy) ? paginator.pagination_strategy : {};
  const tokenOption = isObject(paginator.page_token_option) ? paginator.page_token_option : {};
  const pageSize = numberOf(strategy.page_size, config);
  const option =
    typeof tokenOption.field_name === 'string'
      ? { field: tokenOption.field_name, injectInto: String(tokenOption.inject_into ?? 'request_parameter') }
      : undefined;
  if (strategy.type === 'OffsetIncrement' || strategy.type === 'PageIncrement') {
    const startFrom =
      strategy.type === 'PageIncrement' ? (numberOf(strategy.start_from_page, config) ?? 0) : 0;
    return { kind: strategy.type === 'OffsetIncrement' ? 'offset' : 'page', option, pageSize, startFrom };
  }
  if (strategy.type !== 'CursorPagination') return { kind: 'none' };
  const cursorValue = String(strategy.cursor_value ?? '');
  const stop = String(strategy.stop_condition ?? '');
  const usesPageSize = /last_page_size|last_records|\|\s*length|len\(/.test(stop);
  const recordsPerPage = usesPageSize && pageSize ? pageSize : DEFAULT_RECORDS_PER_PAGE;
  const tokenIsUrl = tokenOption.type === 'RequestPath';
  let source: Extract<Paging, { kind: 'cursor' }>['source'];
  if (/headers/.test(cursorValue) && /link/i.test(cursorValue)) source = { in: 'link' };
  else if (/last_record/.test(cursorValue)) {
    const field = readPaths(cursorValue, 'last_record')[0]?.[0];
    if (!field) return { kind: 'none' };
    source = { in: 'last_record', field };
  } else {
    const path = readPaths(cursorValue, 'response')[0];
    if (!path) return { kind: 'none' };
    // `response['entries'][-1]['id']`: the token is a field of the page's last record
    const lastField = LAST_ITEM_FIELD.exec(cursorValue);
    if (lastField && fieldPath.length > 0 && startsWith(fieldPath, path))
      source = { in: 'last_record', field: (lastField[1] ?? lastField[2])! };
    else source = { in: 'body', path };
  }
  const cursorPath = source.in === 'body' ? source.path : [];
  const flags = readPaths(stop, 'response').filter(
    (path) => !startsWith(cursorPath, path) && !startsWith(path, cursorPath) && !startsWith(fieldPath, path),
  );
  return { kind: 'cursor', source, tokenIsUrl, flags, recordsPerPage };
}

/** A regex over the request's path for a URL template: templates match any run of characters. */
export function pathPattern(urlTemplate: string): { pattern: RegExp; literalLength: number } {
  const path = urlTemplate.replace(/^https?:\/\/[^/]*/i, '').split('?')[0] ?? '';
  let literalLength = 0;
  const source = path
    .split(/(\{\{.*?\}\})/)
    .map((part) => {
      if (part.startsWith('{{')) return '[^?]*?';
      literalLength += part.length;
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\/+/g, '/+');
    })
    .join('');
  // slashes at either end are optional (`graphql/` in a manifest is requested as `/graphql`)
  const trimmed = source.replace(/^(\/\+)+/, '').replace(/(\/\+)+$/, '');
  return { pattern: new RegExp(`^/*${trimmed}/*$`), literalLength };
}

function joinUrl(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  if (!path) return base;
  return `${base.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
}

function requesterUrl(requester: JsonObject): string {
  const base = typeof requester.url_base === 'string' ? requester.url_base : '';
  const url = typeof requester.url === 'string' ? requester.url : '';
  const path = typeof requester.path === 'string' ? requester.path : '';
  return joinUrl(url || base, path);
}

function shapeOf(stream: JsonObject, recordDate: Date): RecordShape {
  const loader = isObject(stream.schema_loader) ? stream.schema_loader : {};
  const schema = isObject(loader.schema) ? loader.schema : undefined;
  const fixed: Record<string, Json> = {};
  const cursor = isObject(stream.incremental_sync) ? stream.incremental_sync : {};
  if (cursor.type === 'DatetimeBasedCursor' && typeof cursor.cursor_field === 'string') {
    const formats = Array.isArray(cursor.cursor_datetime_formats) ? cursor.cursor_datetime_formats : [];
    const format = typeof formats[0] === 'string' ? formats[0] : cursor.datetime_format;
    if (typeof format === 'string') {
      const value = formatDatetime(recordDate, format);
      fixed[cursor.cursor_field] = /^%s$|^%ms$/.test(format) ? Number(value) : value;
    }
  }
  return { schema, fixed, recordDate, readPaths: recordPathsReadBy(stream) };
}

/**
 * The nested paths the stream's templates read from `record` or `last_record` (`record['a']['b']`,
 * `last_record.a.b`), which the reference's strict templates fail on when a fake record leaves
 * them out.
 */
export function recordPathsReadBy(stream: JsonObject): string[][] {
  const paths = new Map<string, string[]>();
  const visit = (node: Json): void => {
    if (typeof node === 'string') {
      for (const variable of ['record', 'last_record'])
        for (const path of readPaths(node, variable, false)) paths.set(JSON.stringify(path), path);
    } else if (Array.isArray(node)) node.forEach(visit);
    else if (isObject(node)) Object.values(node).forEach(visit);
  };
  visit(stream);
  return [...paths.values()];
}

function streamsIn(manifest: JsonObject): JsonObject[] {
  const byName = new Map<string, JsonObject>();
  const roots: Json[] = [manifest.streams ?? [], manifest.definitions ?? {}];
  for (const root of roots) {
    for (const { node } of walkObjects(root)) {
      if (node.type === 'DeclarativeStream' && typeof node.name === 'string' && !byName.has(node.name))
        byName.set(node.name, node);
    }
  }
  return [...byName.values()];
}

function tokenRoutes(manifest: JsonObject): TokenRoute[] {
  const routes: TokenRoute[] = [];
  for (const { node } of walkObjects(manifest)) {
    if (node.type === 'OAuthAuthenticator' && typeof node.token_refresh_endpoint === 'string') {
      const body: JsonObject = {
        [typeof node.access_token_name === 'string' ? node.access_token_name : 'access_token']:
          'mock-access-token',
        refresh_token: 'mock-refresh-token',
        token_type: 'Bearer',
      };
      const expiresName = typeof node.expires_in_name === 'string' ? node.expires_in_name : 'expires_in';
      const expiryFormat = node.token_expiry_date_format;
      body[expiresName] =
        typeof expiryFormat === 'string'
          ? formatDatetime(new Date(Date.UTC(2099, 0, 1)), expiryFormat)
          : 3600;
      routes.push({ kind: 'token', body, ...pathPattern(node.token_refresh_endpoint) });
    }
    if (node.type === 'SessionTokenAuthenticator' && isObject(node.login_requester)) {
      const tokenPath = Array.isArray(node.session_token_path)
        ? node.session_token_path.map(String)
        : ['token'];
      let body: Json = 'mock-session-token';
      for (const key of [...tokenPath].reverse()) body = { [key]: body };
      routes.push({
        kind: 'token',
        body: isObject(body) ? body : {},
        ...pathPattern(requesterUrl(node.login_requester)),
      });
    }
  }
  return routes;
}

/** The routes for a manifest (already pointed at the mock) and the config both engines get. */
export function planRoutes(pointed: JsonObject, config: JsonObject, recordDate: Date): Route[] {
  const resolved = applyParameters(resolveRefs(pointed));
  const manifest = isObject(resolved) ? resolved : {};
  const routes: Route[] = [...tokenRoutes(manifest)];
  const parents = parentStreamNames(manifest);
  for (const stream of streamsIn(manifest)) {
    const retriever = isObject(stream.retriever) ? stream.retriever : {};
    const requester = isObject(retriever.requester) ? retriever.requester : {};
    const selector = isObject(retriever.record_selector) ? retriever.record_selector : {};
    const extractor = isObject(selector.extractor) ? selector.extractor : {};
    const fieldPath = Array.isArray(extractor.field_path)
      ? extractor.field_path.map((key) => {
          const text = String(key);
          const value = evalConfigTemplate(text, config);
          return value === undefined ? text : String(value);
        })
      : [];
    const decoder = isObject(retriever.decoder) ? retriever.decoder.type : undefined;
    routes.push({
      kind: 'records',
      stream: String(stream.name),
      fieldPath,
      paging: parents.has(String(stream.name))
        ? asParent(pagingOf(retriever.paginator, fieldPath, config))
        : pagingOf(retriever.paginator, fieldPath, config),
      shape: shapeOf(stream, recordDate),
      format: decoder === 'JsonlDecoder' ? 'jsonl' : decoder === 'XmlDecoder' ? 'xml' : 'json',
      bodyWords: [
        ...wordsOf(requester.request_body_json ?? requester.request_body_data ?? requester.request_body),
      ],
      ...pathPattern(requesterUrl(requester)),
    });
  }
  return routes;
}

/** Streams other streams read as parents (SubstreamPartitionRouter), by name. */
function parentStreamNames(manifest: JsonObject): Set<string> {
  const names = new Set<string>();
  for (const { node } of walkObjects(manifest)) {
    if (node.type !== 'ParentStreamConfig' || !isObject(node.stream)) continue;
    if (typeof node.stream.name === 'string') names.add(node.stream.name);
  }
  return names;
}

/** A full page of a parent above this many records is served as one short page instead. */
export const PARENT_PAGE_LIMIT = 5;

/**
 * Paging for a stream other streams read as parents: each parent record is a partition that
 * paginates in turn, so a full page of a large page size (250, 1,000) would mean that many child
 * partitions, nested substreams multiply them, and neither engine ends in its time. Such a parent
 * answers one short page (two records); pages of a few records paginate as usual.
 */
function asParent(paging: Paging): Paging {
  if (paging.kind === 'none') return paging;
  const perPage = paging.kind === 'cursor' ? paging.recordsPerPage : paging.pageSize;
  return perPage !== undefined && perPage > PARENT_PAGE_LIMIT ? { kind: 'none' } : paging;
}

/** Identifier-like words of a request body (or its template, templates left out). */
export function wordsOf(body: Json | undefined): Set<string> {
  if (body === undefined || body === null) return new Set();
  const text = (typeof body === 'string' ? body : JSON.stringify(body)).replace(
    /\{\{.*?\}\}|\{%.*?%\}/gs,
    ' ',
  );
  return new Set(text.match(/[A-Za-z_][A-Za-z0-9_]{2,}/g) ?? []);
}

/**
 * The route for a request: the matching one with the most literal characters in its path; among
 * streams on the same path (GraphQL), the one whose own body words the request's body holds most.
 */
export function findRoute(routes: readonly Route[], path: string, body = ''): Route | undefined {
  let best: Route[] = [];
  for (const route of routes) {
    if (!route.pattern.test(path)) continue;
    if (best.length === 0 || route.literalLength > best[0]!.literalLength) best = [route];
    else if (route.literalLength === best[0]!.literalLength) best.push(route);
  }
  if (best.length <= 1 || !body) return best[0];
  const candidates = best.filter((r): r is RecordRoute => r.kind === 'records');
  if (candidates.length <= 1) return best[0];
  // words every candidate has (`query`, `pageInfo`) tell nothing apart
  const shared = new Set(candidates[0]!.bodyWords);
  for (const route of candidates.slice(1)) {
    const words = new Set(route.bodyWords);
    for (const word of shared) if (!words.has(word)) shared.delete(word);
  }
  const sent = wordsOf(body);
  let chosen: RecordRoute = candidates[0]!;
  let score = -1;
  for (const route of candidates) {
    const own = route.bodyWords.filter((w) => !shared.has(w) && sent.has(w)).length;
    if (own > score) {
      chosen = route;
      score = own;
    }
  }
  return chosen;
}
