import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareRecords } from '../src/fixtures.js';
import { writeSourceScript } from '../src/source-script.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-source-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const script = writeSourceScript(dir);
const prepared = prepareRecords(dir, 500);
const configFile = (config: object) => {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(config));
  return file;
};
const messages = (output: string) =>
  output
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('the passthrough source script', () => {
  it('answers spec and discover with the users stream, full_refresh, primary key id', () => {
    const [spec] = messages(execFileSync(script, ['spec'], { encoding: 'utf8' }));
    expect(spec?.type).toBe('SPEC');
    const config = configFile({ path: prepared.recordsFile });
    const [catalog] = messages(execFileSync(script, ['discover', '--config', config], { encoding: 'utf8' }));
    expect(catalog).toMatchObject({
      type: 'CATALOG',
      catalog: {
        streams: [
          { name: 'users', supported_sync_modes: ['full_refresh'], source_defined_primary_key: [['id']] },
        ],
      },
    });
  });

  it('streams the prepared RECORD lines unchanged, repeat times', () => {
    const config = configFile({ path: prepared.recordsFile, repeat: 2 });
    const output = execFileSync(script, ['read', '--config', config, '--catalog', config], {
      encoding: 'utf8',
    });
    const lines = output.trimEnd().split('\n');
    expect(lines).toHaveLength(1_000);
    expect(lines[500]).toBe(lines[0]);
    expect(messages(output).every((m) => m.type === 'RECORD')).toBe(true);
  });

  it('exits 2 with a usage line on an unknown command', () => {
    const result = spawnSync(script, ['write'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/usage/);
  });
});
