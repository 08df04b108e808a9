import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { breakingSpecChanges, pendingBump, readAcceptanceFile, unmarkedCredentials } from '../src/index.js';

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
