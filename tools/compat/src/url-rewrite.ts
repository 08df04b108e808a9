// Points a manifest at the local mock: every base URL is replaced by `http://127.0.0.1:PORT/<slug>`
// followed by the original path, where the slug names the original host. The rule:
//  - a string starting with `http://` or `https://` (anywhere but the spec and the schemas) keeps
//    its path and query; its scheme and host become the mock plus the host's slug
//    (`https://api.x.com/v2` -> `http://127.0.0.1:PORT/api.x.com/v2`);
//  - a value of a URL field (`url_base`, `url`, `token_refresh_endpoint`, ...) that starts with a
//    template reading the config (`{{ config['base_url'] }}/v1`) has that leading part replaced whole
//    by the mock plus a slug of the template (`http://127.0.0.1:PORT/config-base_url/v1`);
//  - other URLs written inside the template of a URL field (a mapping of regions to hosts) are
//    rewritten the same way, host by host;
//  - a template that only reads `parameters` is left alone: the parameter's value is rewritten.
// The slug is stable (a pure function of the original text), so both engines see the same paths.

import { createHash } from 'node:crypto';
import { isObject, type Json, type JsonObject } from './manifest-model.js';

const URL_KEYS = new Set([
  'url_base',
  'url',
  'token_refresh_endpoint',
  'authorization_url',
  'access_token_url',
  'consent_url',
]);

/** Subtrees that describe data rather than requests. */
const SKIPPED_KEYS = new Set(['spec', 'schemas', 'schema', 'description', 'metadata', 'documentation_url']);

export function slugOf(text: string): string {
  const slug = text
    .replace(/\{\{|\}\}/g, ' ')
    .replace(/\.get\b/g, ' ')
    .replace(/[^A-Za-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  if (slug.length > 0 && slug.length <= 48) return slug;
  return `${slug.slice(0, 40)}-${createHash('sha1').update(text).digest('hex').slice(0, 6)}`;
}

/** The index where the authority part ends: the first `/` or `?` outside `{{ }}`. */
function authorityEnd(text: string, from: number): number {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    if (text.startsWith('{{', i)) {
      depth++;
      i++;
    } else if (text.startsWith('}}', i) && depth > 0) {
      depth--;
      i++;
    } else if (depth === 0 && (text[i] === '/' || text[i] === '?')) {
      return i;
    }
  }
  return text.length;
}

/** The rewritten URL, or undefined when the rule leaves this value alone. */
export function rewriteUrl(value: string, mockBase: string, isUrlField: boolean): string | undefined {
  const trimmed = value.trim();
  const scheme = /^https?:\/\//i.exec(trimmed);
  if (scheme) {
    const end = authorityEnd(trimmed, scheme[0].length);
    return `${mockBase}/${slugOf(trimmed.slice(scheme[0].length, end))}${trimmed.slice(end)}`;
  }
  if (!isUrlField) return undefined;
  if (trimmed.startsWith('{{')) {
    const end = authorityEnd(trimmed, 0);
    const head = trimmed.slice(0, end);
    if (/\bconfig\b/.test(head)) return `${mockBase}/${slugOf(head)}${trimmed.slice(end)}`;
  }
  // URLs written inside a template (`{%- set URLS = {"NA": "https://api.x.com/"} -%}{{ URLS[...] }}`)
  if (!EMBEDDED_URL.test(value)) return undefined;
  return value.replace(EMBEDDED_URL, (_whole, host: string) => `${mockBase}/${slugOf(host)}`);
}

/** `http(s)://host` inside a longer text, the host ending at a slash, quote, space or template. */
const EMBEDDED_URL = /https?:\/\/([^/"'\s{}]+)/gi;

/** A copy of `manifest` with its URLs pointed at `mockBase` (`http://127.0.0.1:PORT`). */
export function pointAtMock(manifest: JsonObject, mockBase: string): JsonObject {
  const visit = (node: Json, key: string): Json => {
    if (typeof node === 'string') return rewriteUrl(node, mockBase, URL_KEYS.has(key)) ?? node;
    if (Array.isArray(node)) return node.map((item) => visit(item, key));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [childKey, child] of Object.entries(node)) {
      out[childKey] = SKIPPED_KEYS.has(childKey) ? child : visit(child, childKey);
    }
    return out;
  };
  const rewritten = visit(manifest, '');
  return isObject(rewritten) ? rewritten : manifest;
}
