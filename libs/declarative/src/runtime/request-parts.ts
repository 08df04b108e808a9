// The parts of a request that components contribute to (query parameters, headers, form or JSON
// body) and the one place they are merged. Two components setting the same key is a manifest
// error, as in the reference, except in a JSON body where the same value twice is allowed.

import { configError } from '@conveyor/protocol';
import { pythonStr } from '../interpolation/index.js';
import { type Config, Interpolated } from './interpolated.js';
import type { Mapping } from './slice.js';

export interface RequestParts {
  params: Mapping;
  headers: Mapping;
  /** a form body: a mapping (url-encoded) or a ready string */
  bodyData?: Mapping | string;
  bodyJson?: Mapping;
}

export function emptyParts(): RequestParts {
  return { params: {}, headers: {} };
}

export type InjectInto = 'request_parameter' | 'header' | 'body_data' | 'body_json';

/** Where a component puts one value: a query parameter, a header, or a (nested) body field. */
export class RequestOption {
  private constructor(
    readonly injectInto: InjectInto,
    private readonly fieldName: Interpolated | undefined,
    private readonly fieldPath: Interpolated[] | undefined,
  ) {}

  static from(model: Mapping, parameters: Mapping): RequestOption {
    const inject = String(model.inject_into ?? 'request_parameter') as InjectInto;
    const path = Array.isArray(model.field_path)
      ? model.field_path.map((p) => Interpolated.of(p, parameters))
      : undefined;
    return new RequestOption(
      inject,
      model.field_name === undefined ? undefined : Interpolated.of(model.field_name, parameters),
      path,
    );
  }

  /** Adds `value` to `parts` under this option's name. */
  inject(parts: RequestParts, value: unknown, config: Config): void {
    if (this.fieldPath && this.injectInto === 'body_json') {
      const keys = this.fieldPath.map((p) => p.evalString(config));
      parts.bodyJson ??= {};
      let target: Mapping = parts.bodyJson;
      for (const key of keys.slice(0, -1)) {
        const next = target[key];
        const child: Mapping = next && typeof next === 'object' ? (next as Mapping) : {};
        target[key] = child;
        target = child;
      }
      target[keys.at(-1) ?? ''] = value;
      return;
    }
    const name = this.fieldName?.evalString(config) ?? '';
    switch (this.injectInto) {
      case 'request_parameter':
        parts.params[name] = value;
        break;
      case 'header':
        parts.headers[name] = value;
        break;
      case 'body_data':
        if (typeof parts.bodyData === 'string')
          throw configError('A request option cannot add a field to a body given as text.');
        parts.bodyData = { ...(parts.bodyData ?? {}), [name]: value };
        break;
      case 'body_json':
        parts.bodyJson = { ...(parts.bodyJson ?? {}), [name]: value };
        break;
    }
  }
}

function mergeInto(
  target: Mapping,
  source: Mapping,
  what: string,
  allowSame: boolean,
  path: string[] = [],
): void {
  for (const [key, value] of Object.entries(source)) {
    const at = [...path, key];
    if (!(key in target)) {
      target[key] = value;
      continue;
    }
    const existing = target[key];
    if (allowSame && isMapping(existing) && isMapping(value)) {
      mergeInto(existing, value, what, allowSame, at);
      continue;
    }
    if (!allowSame || JSON.stringify(existing) !== JSON.stringify(value)) {
      throw configError(
        `Two components of the manifest set the same ${what} "${at.join('.')}" on one request. Keep it in one place (the requester, the paginator, the cursor or the partition router).`,
      );
    }
  }
}

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges the contributions of several components into one request's parts. */
export function combineParts(contributions: RequestParts[]): RequestParts {
  const out = emptyParts();
  for (const part of contributions) {
    mergeInto(out.params, part.params, 'query parameter', false);
    mergeInto(out.headers, part.headers, 'header', false);
    if (part.bodyJson) {
      out.bodyJson ??= {};
      mergeInto(out.bodyJson, part.bodyJson, 'JSON body field', true);
    }
    if (part.bodyData !== undefined) {
      if (typeof part.bodyData === 'string' || typeof out.bodyData === 'string') {
        if (
          out.bodyData !== undefined &&
          !(typeof out.bodyData === 'object' && Object.keys(out.bodyData).length === 0)
        )
          throw configError('A request body given as text cannot be combined with other body fields.');
        out.bodyData = part.bodyData;
      } else {
        out.bodyData ??= {};
        mergeInto(out.bodyData, part.bodyData, 'form body field', false);
      }
    }
  }
  return out;
}

/** Query string the way Python's requests encodes params: lists repeat the key, values through str(). */
export function encodeQuery(params: Mapping): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value)) {
      for (const item of value) search.append(key, pythonStr(item));
    } else search.append(key, pythonStr(value));
  }
  return search.toString();
}

/**
 * Adds query parameters to a URL that may already carry some (a next-page URL). A parameter the URL
 * already has with the same value is not added twice, as the reference drops it.
 */
export function withQuery(url: string, params: Mapping): string {
  const hash = url.indexOf('#');
  const base = hash === -1 ? url : url.slice(0, hash);
  const q = base.indexOf('?');
  let wanted = params;
  if (q !== -1) {
    const present = new URLSearchParams(base.slice(q + 1));
    wanted = {};
    for (const [key, value] of Object.entries(params)) {
      const existing = present.get(key);
      if (existing !== null && value !== null && value !== undefined && pythonStr(value) === existing)
        continue;
      wanted[key] = value;
    }
  }
  const query = encodeQuery(wanted);
  if (!query) return url;
  return `${base}${q === -1 ? '?' : base.endsWith('?') || base.endsWith('&') ? '' : '&'}${query}`;
}
