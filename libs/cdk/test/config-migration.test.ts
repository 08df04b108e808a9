// A connector whose config format changed: the stored config is migrated before it is checked
// against the spec, the CLI saves the migrated form back to the config file and announces it with a
// CONTROL message (once), and per-run transformations reach the connector without being saved.

import { readFileSync } from 'node:fs';
import type { JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { configForRun, type PreparedConfig } from '../src/index.js';
import { jsonFiles, ofType, runCli } from './fixtures/run.js';
import { TestSource } from './fixtures/test-source.js';

/** Version 1 stored the key as `key`; version 2 calls it `api_key`. `start` defaults per run. */
class MigratingSource extends TestSource {
  prepareConfig(stored: JsonObject): PreparedConfig {
    const migrated = { ...stored };
    if (typeof migrated.key === 'string' && migrated.api_key === undefined) {
      migrated.api_key = migrated.key;
      delete migrated.key;
    }
    return { migrated, effective: { start: 7, ...migrated } };
  }
}

describe('config migrations', () => {
  it('saves the migrated config back to its file and emits it as CONTROL, once', async () => {
    const files = jsonFiles({ 'config.json': { key: 'key-old-format-1', users: 2 } });
    const path = files['config.json']!;
    const first = await runCli(new MigratingSource(), ['discover', '--config', path]);
    expect(first.code).toBe(0);
    const control = ofType(first.messages, 'CONTROL');
    expect(control).toHaveLength(1);
    expect(control[0]!.control.connectorConfig?.config).toEqual({ users: 2, api_key: 'key-old-format-1' });
    expect(first.messages.findIndex((m) => m.type === 'CONTROL')).toBeLessThan(
      first.messages.findIndex((m) => m.type === 'CATALOG'),
    );
    // the file holds the migrated config, without the per-run default
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ users: 2, api_key: 'key-old-format-1' });
    // the log line says where, never what
    const logs = ofType(first.messages, 'LOG').map((m) => m.log.message);
    expect(logs.some((l) => l.includes('saved back to'))).toBe(true);
    expect(logs.join('\n')).not.toContain('key-old-format-1');

    const second = await runCli(new MigratingSource(), ['discover', '--config', path]);
    expect(second.code).toBe(0);
    expect(ofType(second.messages, 'CONTROL')).toHaveLength(0);
  });

  it('checks the migrated, transformed config against the spec (the old format alone would fail)', () => {
    const { config, updated } = configForRun(new MigratingSource(), { key: 'k' });
    expect(config).toMatchObject({ api_key: 'k', start: 7, page_size: 25 });
    expect(updated).toEqual({ api_key: 'k' });
    expect(() => configForRun(new TestSource(), { key: 'k' })).toThrow(/api_key is required/);
  });

  it('a config already in the current format is left alone', () => {
    const stored = { api_key: 'k', start: 1 };
    expect(configForRun(new MigratingSource(), stored).updated).toBeUndefined();
    expect(stored).toEqual({ api_key: 'k', start: 1 });
  });
});
