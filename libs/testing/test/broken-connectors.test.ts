// The kit must fail real defects: each deliberately broken connector is failed by the suite that
// owns the defect, with a message that says what is wrong, and the sound one passes everything.

import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runAcceptance } from '../src/index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const kit = (connector: string) =>
  runAcceptance(`exec:${fixture(`${connector}.mjs`)}`, {
    acceptanceFile: fixture('tiny.acceptance.yml'),
    seed: 7,
  });

describe('the acceptance kit', () => {
  it('passes a sound connector', async () => {
    const report = await kit('good');
    expect(report.results.filter((r) => r.status === 'failed')).toEqual([]);
    expect(report.passed).toBe(true);
    const ran = new Set(report.results.filter((r) => r.status === 'passed').map((r) => r.suite));
    for (const suite of [
      'spec',
      'check',
      'discover',
      'basic_read',
      'full_refresh',
      'incremental',
      'interruption',
      'secrets',
      'protocol_hygiene',
    ]) {
      expect(ran).toContain(suite);
    }
  });

  it.each([
    [
      'secret-in-log',
      'secrets',
      /configured secret .* is on stderr of `.*read`: connecting with key \*\*\*\*/,
    ],
    [
      'state-skips-records',
      'incremental',
      /resuming from the checkpoint after 10 records lost 5 record\(s\), first: items\|\[11\]/,
    ],
    [
      'breaks-schema',
      'basic_read',
      /records break their schema: stream "items" record \{"id":"item-7","updated":7\}: \/id must be integer/,
    ],
    ['check-crashes', 'check', /a stack trace on stderr: the check crashed/],
    [
      'stray-stdout',
      'protocol_hygiene',
      /wrote 1 line\(s\) that are not protocol messages to stdout, first: "starting the read"/,
    ],
    ['key-missing', 'incremental', /lost 5 record\(s\), first: items\|\{"ID":/],
    [
      'not-protocol',
      'protocol_hygiene',
      /wrote 2 line\(s\) that are not protocol messages to stdout, first: "\{\\"type\\":\\"DEBUG\\"/,
    ],
  ])('fails %s in the %s suite, saying what is wrong', async (connector, suite, message) => {
    const report = await kit(connector);
    expect(report.passed).toBe(false);
    const failed = report.results.filter((r) => r.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]?.suite).toBe(suite);
    expect(failed[0]?.message).toMatch(message);
  });

  it('fails the interruption suite when a state claims records that were never sent', async () => {
    const report = await runAcceptance(`exec:${fixture('state-skips-records.mjs')}`, {
      acceptanceFile: fixture('tiny.acceptance.yml'),
      seed: 12345,
      only: ['interruption'],
    });
    const interrupted = report.results.filter((r) => r.suite === 'interruption');
    expect(interrupted.some((r) => r.status === 'failed' && /lost 5 record\(s\)/.test(r.message))).toBe(true);
  });
});
