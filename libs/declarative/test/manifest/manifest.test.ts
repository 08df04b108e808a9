// Loading manifests: `$ref` resolution, default types and `$parameters`, schema validation with
// errors that point at the YAML path and line, and custom components. The manifests here are small
// ones written for these tests.

import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConveyorError } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import {
  componentUsage,
  type LoadedManifest,
  loadManifest,
  ManifestError,
  parseManifest,
  validateManifest,
} from '../../src/manifest/index.js';

// The compatibility contract lives in ../shared; the package's own copy stands in when it is absent.
const SHARED_SCHEMA = new URL(
  '../../../../../shared/reference/declarative_component_schema.yaml',
  import.meta.url,
);
const schema = existsSync(fileURLToPath(SHARED_SCHEMA)) ? SHARED_SCHEMA : undefined;
const options = { file: 'manifest.yaml', ...(schema === undefined ? {} : { schema }) };

function load(text: string): LoadedManifest {
  return parseManifest(text, options);
}

function failure(text: string): ManifestError {
  try {
    load(text);
  } catch (error) {
    if (error instanceof ManifestError) return error;
    throw error;
  }
  throw new Error('the manifest loaded, but it should have been rejected');
}

function at(value: unknown, ...path: (string | number)[]): unknown {
  let node = value;
  for (const step of path) node = (node as Record<string | number, unknown>)[step];
  return node;
}

/** A small valid manifest; `stream` is indented to sit under `streams:`. */
function manifest(stream: string, extra = ''): string {
  return `version: 6.4.0
type: DeclarativeSource
check:
  type: CheckStream
  stream_names: [users]
${extra}
streams:
${stream}
spec:
  type: Spec
  connection_specification:
    type: object
    properties:
      api_key: {type: string}
`;
}

const USERS = `  - type: DeclarativeStream
    name: users
    retriever:
      type: SimpleRetriever
      requester:
        type: HttpRequester
        url_base: https://api.example.com
        path: /users
      record_selector:
        type: RecordSelector
        extractor:
          type: DpathExtractor
          field_path: [data]
`;

describe('$ref resolution', () => {
  it('copies definitions, follows refs inside definitions and lays sibling keys over the referenced mapping', () => {
    const loaded = load(
      manifest(
        `  - $ref: "#/definitions/users_stream"
    name: people
`,
        `definitions:
  requester:
    type: HttpRequester
    url_base: https://api.example.com
    http_method: GET
  users_stream:
    type: DeclarativeStream
    name: users
    primary_key: [id]
    retriever:
      type: SimpleRetriever
      requester:
        $ref: "#/definitions/requester"
        path: /users
        http_method: POST
      record_selector:
        type: RecordSelector
        extractor: {type: DpathExtractor, field_path: []}`,
      ),
    );
    const stream = at(loaded.manifest, 'streams', 0) as Record<string, unknown>;
    expect(stream.name).toBe('people');
    // the referenced mapping's keys come first, in their order; the local key replaced its value in place
    expect(Object.keys(stream).slice(0, 3)).toEqual(['type', 'name', 'primary_key']);
    expect(at(stream, 'retriever', 'requester')).toMatchObject({
      type: 'HttpRequester',
      url_base: 'https://api.example.com',
      http_method: 'POST',
      path: '/users',
    });
  });

  it('resolves plain string values that are references, including a reference to a reference', () => {
    const loaded = load(
      manifest(
        USERS.replace('url_base: https://api.example.com', 'url_base: "#/definitions/base"'),
        `definitions:
  base: "#/definitions/real_base"
  real_base: https://api.example.com/v2
  pages: [10, 20]
  nested/key: slash-key
  nested:
    key: nested-value`,
      ),
    );
    expect(at(loaded.manifest, 'streams', 0, 'retriever', 'requester', 'url_base')).toBe(
      'https://api.example.com/v2',
    );
  });

  it('reads pointers with list indexes and prefers a key holding a slash, as the reference does', () => {
    const loaded = load(
      manifest(
        USERS.replace('path: /users', 'path: "#/definitions/nested/key"').replace(
          'field_path: [data]',
          'field_path: ["#/definitions/fields/1"]',
        ),
        `definitions:
  fields: [a, b]
  nested/key: slash-key
  nested:
    key: nested-value`,
      ),
    );
    const requester = at(loaded.manifest, 'streams', 0, 'retriever', 'requester');
    expect(at(requester, 'path')).toBe('slash-key');
    expect(
      at(loaded.manifest, 'streams', 0, 'retriever', 'record_selector', 'extractor', 'field_path'),
    ).toEqual(['b']);
  });

  it('reports a cycle with the chain of references and where it closes', () => {
    const error = failure(
      manifest(
        `  - $ref: "#/definitions/a"
`,
        `definitions:
  a:
    $ref: "#/definitions/b"
  b:
    type: DeclarativeStream
    retriever:
      $ref: "#/definitions/a"`,
      ),
    );
    // met first while resolving the definitions themselves, and reported once
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.message).toBe(
      '$ref cycle: #/definitions/b → #/definitions/a → #/definitions/b; a reference cannot contain itself',
    );
    expect(error.issues[0]?.path).toBe('definitions.a.retriever');
    expect([error.issues[0]?.line, error.issues[0]?.column]).toEqual([8, 5]);
  });

  it('reports a reference to a missing definition with the path, line and the closest names', () => {
    const error = failure(
      manifest(
        `  - $ref: "#/definitions/user_stream"
`,
        `definitions:
  users_stream:
    type: DeclarativeStream`,
      ),
    );
    expect(error.issues).toEqual([
      {
        path: 'streams[0]',
        line: 10,
        column: 5,
        message: expect.stringContaining(
          '#/definitions has no key "user_stream" (did you mean "users_stream"?)',
        ),
      },
    ]);
    expect(error.message).toContain(
      'manifest.yaml:10:5 streams[0]: $ref "#/definitions/user_stream" points to nothing',
    );
  });

  it('leaves config_overrides as they are written, even when a value looks like a reference', () => {
    const loaded = load(
      manifest(
        USERS.replace(
          '  - type: DeclarativeStream',
          '  - type: DeclarativeStream\n    config_overrides: {x: "#/nothing"}',
        ),
      ),
    );
    expect(at(loaded.manifest, 'streams', 0, 'config_overrides')).toEqual({ x: '#/nothing' });
  });
});

describe('default types and $parameters', () => {
  const loaded = () =>
    load(
      manifest(`  - name: users
    $parameters:
      path: /users
      page_size: 50
      region: eu
    primary_key: id
    retriever:
      $parameters:
        region: us
      requester:
        url_base: https://api.example.com
        path: /explicit
      record_selector:
        extractor:
          field_path: ["{{ parameters.region }}"]
    schema_loader:
      type: InlineSchemaLoader
      schema:
        type: object
        properties:
          id: {type: string}
`),
    );

  it('gives components without a type the default type of the field that holds them', () => {
    const stream = at(loaded().manifest, 'streams', 0);
    expect(at(stream, 'type')).toBe('DeclarativeStream');
    expect(at(stream, 'retriever', 'type')).toBe('SimpleRetriever');
    expect(at(stream, 'retriever', 'requester', 'type')).toBe('HttpRequester');
    expect(at(stream, 'retriever', 'record_selector', 'type')).toBe('RecordSelector');
    expect(at(stream, 'retriever', 'record_selector', 'extractor', 'type')).toBe('DpathExtractor');
  });

  it("hands parameters down, the child's own winning, and exposes them as `parameters`", () => {
    const stream = at(loaded().manifest, 'streams', 0);
    expect(at(stream, '$parameters')).toEqual({ path: '/users', page_size: 50, region: 'eu' });
    expect(at(stream, 'retriever', '$parameters')).toEqual({ path: '/users', page_size: 50, region: 'us' });
    const extractor = at(stream, 'retriever', 'record_selector', 'extractor') as Record<string, unknown>;
    expect(extractor.$parameters).toEqual({ path: '/users', page_size: 50, region: 'us' });
    expect(extractor.parameters).toEqual(extractor.$parameters);
  });

  it('sets parameters as fields of the components they reach unless the field already has a value', () => {
    const requester = at(loaded().manifest, 'streams', 0, 'retriever', 'requester') as Record<
      string,
      unknown
    >;
    expect(requester.path).toBe('/explicit');
    expect(requester.page_size).toBe(50);
    expect(requester.region).toBe('us');
    // the stream's own fields are not parameters
    expect(requester.name).toBeUndefined();
  });

  it('leaves JSON schemas alone', () => {
    const schemaNode = at(loaded().manifest, 'streams', 0, 'schema_loader', 'schema') as Record<
      string,
      unknown
    >;
    expect(schemaNode).toEqual({ type: 'object', properties: { id: { type: 'string' } } });
  });

  it('types a class_name component by its field and lists it as custom Python code', () => {
    const custom = load(
      manifest(
        USERS.replace(
          'path: /users',
          'path: /users\n        authenticator:\n          class_name: source_x.components.MyAuth',
        ),
      ),
    );
    expect(at(custom.manifest, 'streams', 0, 'retriever', 'requester', 'authenticator', 'type')).toBe(
      'CustomAuthenticator',
    );
    expect(custom.customComponents).toEqual([
      {
        path: 'streams[0].retriever.requester.authenticator',
        type: 'CustomAuthenticator',
        className: 'source_x.components.MyAuth',
      },
    ]);
    expect(load(manifest(USERS)).customComponents).toEqual([]);
  });
});

describe('validation errors', () => {
  it('names the misspelled type, the expected ones and the YAML line', () => {
    const error = failure(manifest(USERS.replace('type: HttpRequester', 'type: HttpRequestor')));
    expect(error.issues).toHaveLength(1);
    const issue = error.issues[0]!;
    expect(issue.path).toBe('streams[0].retriever.requester.type');
    expect([issue.line, issue.column]).toEqual([13, 9]);
    expect(issue.message).toContain('"HttpRequestor"');
    expect(issue.message).toContain('did you mean HttpRequester?');
    expect(issue.message).toContain('expected one of: ');
  });

  it('names a missing required field of the component', () => {
    const error = failure(manifest(USERS.replace('          field_path: [data]\n', '')));
    expect(error.issues).toEqual([
      {
        path: 'streams[0].retriever.record_selector.extractor.field_path',
        // the field is missing, so the position is the extractor's
        line: 18,
        column: 9,
        message: 'DpathExtractor requires the field "field_path" (a list)',
      },
    ]);
  });

  it('reports a missing required field of an incremental cursor', () => {
    const error = failure(
      manifest(
        `${USERS}    incremental_sync:
      type: DatetimeBasedCursor
      datetime_format: "%Y-%m-%d"
      start_datetime: "{{ config.start }}"
`,
      ),
    );
    expect(error.issues.map((i) => [i.path, i.line, i.message])).toEqual([
      [
        'streams[0].incremental_sync.cursor_field',
        21,
        'DatetimeBasedCursor requires the field "cursor_field" (a string)',
      ],
    ]);
  });

  it('lists the allowed values of an enum', () => {
    const error = failure(manifest(USERS.replace('path: /users', 'path: /users\n        http_method: PUT')));
    expect(error.issues).toEqual([
      {
        path: 'streams[0].retriever.requester.http_method',
        line: 16,
        column: 9,
        message: 'the string "PUT" is not allowed here; expected one of: GET, POST',
      },
    ]);
    expect(error.message).toContain(
      'manifest.yaml:16:9 streams[0].retriever.requester.http_method: the string "PUT" is not allowed',
    );
  });

  it('points into the definition, and at where it was used, for a mistake inside a $ref', () => {
    const error = failure(
      manifest(
        `  - $ref: "#/definitions/users"
`,
        `definitions:
  requester:
    type: HttpRequester
    http_method: FETCH
  users:
    type: DeclarativeStream
    retriever:
      type: SimpleRetriever
      requester:
        $ref: "#/definitions/requester"
      record_selector:
        type: RecordSelector
        extractor: {type: DpathExtractor, field_path: []}`,
      ),
    );
    expect(error.issues).toHaveLength(1);
    const issue = error.issues[0]!;
    expect(issue.path).toBe('streams[0].retriever.requester.http_method');
    expect([issue.line, issue.column]).toEqual([9, 5]);
    expect(issue.message).toContain('(in a definition used from line 15:9, through line 20:5)');
  });

  it('reports a mistake in a definition shared by several streams once, naming the other uses', () => {
    const error = failure(
      manifest(
        `  - $ref: "#/definitions/users"
  - $ref: "#/definitions/users"
    name: again
`,
        `definitions:
  users:
    type: DeclarativeStream
    name: users
    retriever:
      type: SimpleRetriever
      requester: {type: HttpRequester, authenticator: bearer}
      record_selector:
        type: RecordSelector
        extractor: {type: DpathExtractor, field_path: []}`,
      ),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('streams[0].retriever.requester.authenticator');
    expect(error.issues[0]?.message).toMatch(
      /^expected a component \(a mapping\) of type ApiKeyAuthenticator, .*BearerAuthenticator.*, found the string "bearer"/,
    );
    expect(error.issues[0]?.message).toMatch(
      /the same applies to streams\[1\]\.retriever\.requester\.authenticator$/,
    );
  });

  it('reports YAML syntax errors with their line and column', () => {
    const error = failure('version: 6.4.0\nstreams:\n  - name: [users\n    retriever: {}\n');
    expect(error.issues[0]?.message).toMatch(/^YAML syntax error/);
    expect(error.issues[0]?.line).toBeGreaterThanOrEqual(3);
    expect(error.issues[0]?.column).toBeGreaterThanOrEqual(1);
  });

  it('rejects a document that is not a mapping', () => {
    expect(failure('- just\n- a list\n').issues[0]?.message).toContain('a manifest is a YAML mapping');
  });

  it('is a configuration error whose message lists the issues as file:line:col path: message', () => {
    const error = failure(manifest(USERS.replace('type: HttpRequester', 'type: HttpRequestor')));
    expect(error).toBeInstanceOf(ConveyorError);
    expect(error.failureType).toBe('config_error');
    expect(error.file).toBe('manifest.yaml');
    expect(error.message).toMatch(
      /^The manifest manifest.yaml is not valid \(1 problem\):\n {2}manifest\.yaml:13:9 /,
    );
  });

  it('validateManifest returns no issues for a resolved valid manifest and path-only issues otherwise', () => {
    const loaded = load(manifest(USERS));
    expect(validateManifest(loaded.manifest, options)).toEqual([]);
    const broken = structuredClone(loaded.manifest);
    (at(broken, 'streams', 0, 'retriever', 'requester') as Record<string, unknown>).http_method = 'PATCH';
    expect(validateManifest(broken, options)).toEqual([
      {
        path: 'streams[0].retriever.requester.http_method',
        message: 'the string "PATCH" is not allowed here; expected one of: GET, POST',
      },
    ]);
  });
});

describe('positions and YAML details', () => {
  it('locates nodes of the resolved manifest in the original YAML, following references', () => {
    const loaded = load(
      manifest(
        `  - $ref: "#/definitions/users"
    name: people
`,
        `definitions:
  users:
    type: DeclarativeStream
    name: users
    retriever:
      type: SimpleRetriever
      requester: {type: HttpRequester, url_base: "https://x"}
      record_selector:
        type: RecordSelector
        extractor: {type: DpathExtractor, field_path: []}`,
      ),
    );
    // a local key is where it is written; the rest is where the definition wrote it
    expect(loaded.locate(['streams', 0, 'name'])).toEqual({ line: 18, column: 5 });
    expect(loaded.locate(['streams', 0, 'retriever'])).toEqual({ line: 10, column: 5 });
    expect(loaded.locate(['streams', 0, 'retriever', 'requester', 'url_base'])).toEqual({
      line: 12,
      column: 40,
    });
    expect(loaded.locate(['streams', 5])).toBeUndefined();
  });

  it("reads scalars as the reference's YAML 1.1 loader does", () => {
    const loaded = load(
      manifest(
        USERS,
        `definitions:
  flags: {a: yes, b: off, c: y, d: n, e: 1e3, f: 1.5, g: 2024-01-01, h: 0o7}
  y: kept`,
      ),
    );
    expect(at(loaded.manifest, 'definitions', 'flags')).toEqual({
      a: true,
      b: false,
      c: 'y',
      d: 'n',
      e: '1e3',
      f: 1.5,
      g: '2024-01-01',
      h: '0o7',
    });
    expect(at(loaded.manifest, 'definitions', 'y')).toBe('kept');
  });

  it('accepts duplicate keys, the last value winning, as the reference does', () => {
    const loaded = load(manifest(USERS.replace('    name: users\n', '    name: first\n    name: users\n')));
    expect(at(loaded.manifest, 'streams', 0, 'name')).toBe('users');
  });
});

describe('loadManifest and componentUsage', () => {
  it('loads a file and names it in errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'manifest-'));
    const good = join(dir, 'good.yaml');
    await writeFile(good, manifest(USERS));
    const loaded = await loadManifest(good, schema === undefined ? {} : { schema });
    expect(loaded.file).toBe(good);
    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, manifest(USERS.replace('type: HttpRequester', 'type: Nope')));
    await expect(loadManifest(bad, schema === undefined ? {} : { schema })).rejects.toThrow(`${bad}:13:9`);
    await expect(loadManifest(join(dir, 'missing.yaml'))).rejects.toThrow('no such file');
  });

  it('counts each component type once per manifest that uses it, ignoring unused definitions', () => {
    const withCursor = `${USERS}    incremental_sync:
      type: DatetimeBasedCursor
      cursor_field: updated
      datetime_format: "%Y-%m-%d"
      start_datetime: "{{ config.start }}"
`;
    const usage = componentUsage(
      [
        load(manifest(USERS + USERS.replace('name: users', 'name: again'))).manifest,
        load(manifest(withCursor, 'definitions:\n  unused: {type: OffsetIncrement}')).manifest,
      ],
      options,
    );
    expect(usage.get('HttpRequester')).toBe(2);
    expect(usage.get('DatetimeBasedCursor')).toBe(1);
    expect(usage.get('MinMaxDatetime')).toBeUndefined();
    expect(usage.has('OffsetIncrement')).toBe(false);
    expect(usage.has('object')).toBe(false);
    // a `type` in connector data is not a component
    const data = load(manifest(USERS, 'definitions:\n  example: {type: Todo}')).manifest;
    expect(componentUsage([{ ...data, extra: { type: 'Todo' } }], options).has('Todo')).toBe(false);
  });
});
