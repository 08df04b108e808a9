import { describe, expect, it } from 'vitest';
import { pointAtMock, rewriteUrl } from '../src/url-rewrite.js';

const mock = 'http://127.0.0.1:9999';

describe('URL rewriting', () => {
  it('keeps the path and names the original host in the first segment', () => {
    expect(rewriteUrl('https://api.example.com/v2/', mock, true)).toBe(`${mock}/api.example.com/v2/`);
    expect(rewriteUrl('https://api.example.com', mock, false)).toBe(`${mock}/api.example.com`);
    expect(rewriteUrl("https://{{ config['shop'] }}.example.com/admin?x=1", mock, true)).toBe(
      `${mock}/config-shop-.example.com/admin?x=1`,
    );
  });

  it('replaces a leading config template of a URL field whole and keeps what follows', () => {
    expect(rewriteUrl("{{ config['base_url'] }}/api/v1", mock, true)).toBe(`${mock}/config-base-url/api/v1`);
    expect(rewriteUrl("{{ config.get('base_url', 'https://x.com') }}", mock, true)).toMatch(
      /^http:\/\/127\.0\.0\.1:9999\/config-base-url-https-x\.com$/,
    );
  });

  it('rewrites the hosts a URL field names inside its template', () => {
    const template = `{%- set URLS = {"NA": "https://api.x.com/", "EU": "https://api-eu.x.com/"} -%}{{ URLS[config.region] }}`;
    expect(rewriteUrl(template, mock, true)).toBe(
      `{%- set URLS = {"NA": "${mock}/api.x.com/", "EU": "${mock}/api-eu.x.com/"} -%}{{ URLS[config.region] }}`,
    );
    expect(rewriteUrl(template, mock, false)).toBeUndefined();
  });

  it('leaves paths, parameter templates and non-URL fields alone', () => {
    expect(rewriteUrl('/v1/users', mock, true)).toBeUndefined();
    expect(rewriteUrl('{{ parameters.url }}', mock, true)).toBeUndefined();
    expect(rewriteUrl("{{ config['base_url'] }}", mock, false)).toBeUndefined();
  });

  it('rewrites requesters, OAuth endpoints and parameters, but not the spec or the schemas', () => {
    const manifest = {
      definitions: {
        requester: { type: 'HttpRequester', url_base: 'https://api.x.com/v1', path: '/items' },
        auth: { type: 'OAuthAuthenticator', token_refresh_endpoint: 'https://login.x.com/oauth/token' },
        stream: { $parameters: { url: 'https://files.x.com/data' } },
      },
      spec: { connection_specification: { properties: { url: { default: 'https://keep.me' } } } },
      schemas: { items: { properties: { link: { examples: ['https://keep.me'] } } } },
    };
    const rewritten = pointAtMock(manifest, mock) as typeof manifest;
    expect(rewritten.definitions.requester.url_base).toBe(`${mock}/api.x.com/v1`);
    expect(rewritten.definitions.auth.token_refresh_endpoint).toBe(`${mock}/login.x.com/oauth/token`);
    expect(rewritten.definitions.stream.$parameters.url).toBe(`${mock}/files.x.com/data`);
    expect(rewritten.spec).toEqual(manifest.spec);
    expect(rewritten.schemas).toEqual(manifest.schemas);
  });
});
