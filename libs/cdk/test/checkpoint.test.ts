import { describe, expect, it } from 'vitest';
import { CheckpointPolicy } from '../src/index.js';

describe('CheckpointPolicy', () => {
  it('defaults to every 10,000 records or 5 seconds', () => {
    const policy = new CheckpointPolicy();
    expect(policy.everyRecords).toBe(10_000);
    expect(policy.everyMs).toBe(5_000);
  });

  it('is due once the record count is reached, and counts again after a checkpoint', () => {
    const policy = new CheckpointPolicy({ everyRecords: 100, everySeconds: 60, now: () => 0 });
    expect(policy.observe(60)).toBe(false);
    expect(policy.observe(39)).toBe(false);
    expect(policy.observe(1)).toBe(true);
    policy.checkpointed();
    expect(policy.observe(99)).toBe(false);
    expect(policy.observe(500)).toBe(true);
  });

  it('is due when the time has passed since the last checkpoint, if records came in', () => {
    let now = 1_000;
    const policy = new CheckpointPolicy({ everyRecords: 1_000_000, everySeconds: 5, now: () => now });
    now += 4_999;
    expect(policy.observe(1)).toBe(false);
    now += 1;
    expect(policy.observe(1)).toBe(true);
    policy.checkpointed();
    now += 10_000;
    expect(policy.observe(0)).toBe(false);
    expect(policy.observe(1)).toBe(true);
  });

  it('refuses a cadence that makes no sense', () => {
    expect(() => new CheckpointPolicy({ everyRecords: 0 })).toThrow(RangeError);
    expect(() => new CheckpointPolicy({ everySeconds: -1 })).toThrow(RangeError);
  });
});
