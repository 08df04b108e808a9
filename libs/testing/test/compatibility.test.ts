import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  breakingSpecChanges,
  junitReport,
  pendingBump,
  readAcceptanceFile,
  runAcceptance,
  unmarkedCredentials,
} from '../src/index.js';

describe('breakingSpecChanges', () => {
  const before = {
    type: 'object',
    required: ['host'],
    properties: {
      host: { type: 'string' },
      port: { type: 'integer' },
      tls: { type: 'object', properties: { ca: { type: 'string' } } },
    },
  };

  it('allows new optional fields', () => {
    const after = { ...before, properties: { ...before.properties, timeout: { type: 'integer' } } };
    expect(breakingSpecChanges(before, after)).toEqual([]);
  });

  it('names removed, retyped, nested and newly required fields', () => {
    const after = {
      type: 'object',
      required: ['host', 'database'],
      properties: {
        host: { type: 'string' },
        tls: { type: 'object', properties: {} },
        database: { type: 'string' },
      },
    };
    expect(breakingSpecChanges(before, after)).toEqual([
      'config field "port" was removed',
      'config field "tls.ca" was removed',
      'config field "database" is newly required',
    ]);
    expect(
      breakingSpecChanges(before, {
        ...before,
        properties: { ...before.properties, port: { type: 'string' } },
      }),
    ).toEqual(['config field "port" changed type integer -> string']);
  });
});

describe('pendingBump', () => {
  it('reads the highest bump the changesets declare for a package', () => {
    const root = mkdtempSync(join(tmpdir(), 'bump-'));
    mkdirSync(join(root, '.changeset'));
    mkdirSync(join(root, 'connectors', 'source-x'), { recursive: true });
    writeFileSync(
      join(root, '.changeset', 'a.md'),
      "---\n'@c/source-x': patch\n'@c/other': major\n---\n\nfix\n",
    );
    expect(pendingBump('@c/source-x', join(root, 'connectors', 'source-x'))).toBe('patch');
    writeFileSync(join(root, '.changeset', 'b.md'), '---\n"@c/source-x": major\n---\n\nbreak\n');
    expect(pendingBump('@c/source-x', join(root, 'connectors', 'source-x'))).toBe('major');
    expect(pendingBump('@c/none', root)).toBeUndefined();
  });
});

describe('unmarkedCredentials', () => {
  it('finds credential-looking text fields that are not marked secret, at any depth', () => {
    expect(
      unmarkedCredentials({
        properties: {
          password: { type: 'string' },
          api_key: { type: 'string', airbyte_secret: true },
          auth: {
            oneOf: [{ properties: { client_secret: { type: 'string' }, token_count: { type: 'integer' } } }],
          },
          user: { type: 'string' },
        },
      }),
    ).toEqual(['password', 'auth.client_secret']);
  });
});

describe('acceptance.yml', () => {
  const file = (text: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'acc-'));
    writeFileSync(join(dir, 'acceptance.yml'), text);
    return join(dir, 'acceptance.yml');
  };

  it('names the file and the entry that is wrong', () => {
    expect(() => readAcceptanceFile(file('configs: []\n'))).toThrow(
      /acceptance\.yml: configs: give at least one valid config/,
    );
    expect(() => readAcceptanceFile(file('configs: [{name: a, config: {}}]\nexpected: x\n'))).toThrow(
      /expected: is not a known key/,
    );
    expect(() => readAcceptanceFile(file('configs: [{name: a, config: missing.json}]\n'))).toThrow(
      /configs\[0\]\.config: the file missing\.json does not exist/,
    );
    expect(() =>
      readAcceptanceFile(file('configs: [{name: a, config: {}}]\nempty_streams: [{name: x}]\n')),
    ).toThrow(/empty_streams\[0\]: must be \{ name, reason \}/);
  });
});

describe('the backward_compatibility suite', () => {
  const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

  /** A connector package in its own folder with a .changeset/ beside it, as in a repository. */
  function packageWith(released: object, changeset?: string): string {
    const root = mkdtempSync(join(tmpdir(), 'compat-'));
    const dir = join(root, 'connectors', 'source-tiny');
    mkdirSync(join(dir, 'acceptance'), { recursive: true });
    mkdirSync(join(root, '.changeset'));
    if (changeset) writeFileSync(join(root, '.changeset', 'x.md'), changeset);
    for (const f of ['tiny-source.mjs', 'good.mjs']) cpSync(join(fixtures, f), join(dir, f));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: '@x/source-tiny', version: '1.2.0', bin: { 'source-tiny': './good.mjs' } }),
    );
    cpSync(join(fixtures, 'tiny.acceptance.yml'), join(dir, 'acceptance.yml'));
    writeFileSync(join(dir, 'acceptance', 'released.json'), JSON.stringify(released));
    return dir;
  }

  const items = {
    name: 'items',
    json_schema: { type: 'object', properties: { id: { type: 'integer' }, updated: { type: 'integer' } } },
    supported_sync_modes: ['full_refresh', 'incremental'],
    source_defined_primary_key: [['id']],
    default_cursor_field: ['updated'],
  };
  const spec = (extra: object) => ({
    type: 'object',
    required: ['api_key'],
    properties: { api_key: { type: 'string' }, count: { type: 'integer' }, ...extra },
  });
  const released = {
    version: '1.1.0',
    spec: spec({ region: { type: 'string' } }),
    catalog: {
      streams: [
        items,
        {
          name: 'refunds',
          json_schema: { type: 'object', properties: {} },
          supported_sync_modes: ['full_refresh'],
        },
      ],
    },
  };

  const compat = async (dir: string) =>
    (await runAcceptance(dir, { only: ['backward_compatibility'], seed: 1 })).results.find(
      (r) => r.suite === 'backward_compatibility',
    );

  it('fails a removed config field and a removed stream unless a changeset declares a major', async () => {
    const failed = await compat(packageWith(released));
    expect(failed?.status).toBe('failed');
    expect(failed?.message).toMatch(
      /breaking changes since 1\.1\.0: config field "region" was removed; stream "refunds" is gone\. Either undo them, or add a changeset with a major bump for @x\/source-tiny/,
    );
    const declared = await compat(
      packageWith(released, "---\n'@x/source-tiny': major\n---\n\nRegions go.\n"),
    );
    expect(declared).toMatchObject({ status: 'passed' });
    expect(declared?.message).toMatch(/declared by a major changeset/);
  });

  it('passes when nothing a user relies on changed', async () => {
    const same = { version: '1.1.0', spec: spec({}), catalog: { streams: [items] } };
    expect(await compat(packageWith(same))).toMatchObject({
      status: 'passed',
      message: 'compatible with 1.1.0',
    });
  });
});

describe('junitReport', () => {
  it('writes one testsuite per suite with failures, skips and escaped messages', () => {
    const xml = junitReport([
      {
        connector: '@x/a',
        acceptanceFile: 'a.yml',
        seed: 1,
        passed: false,
        ms: 10,
        results: [
          { suite: 'spec', name: 'one', status: 'passed', message: '', ms: 1 },
          { suite: 'check', name: 'two', status: 'failed', message: 'bad <config> & "quotes"', ms: 2 },
          { suite: 'check', name: 'three', status: 'skipped', message: 'none', ms: 0 },
        ],
      },
    ]);
    expect(xml).toContain('<testsuite name="@x/a check" tests="2" failures="1" skipped="1"');
    expect(xml).toContain('<failure message="bad &lt;config&gt; &amp; &quot;quotes&quot;"/>');
  });
});
