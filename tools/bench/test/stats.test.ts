import { describe, expect, it } from 'vitest';
import { controlPasses, pairRatios, spreadOf } from '../src/stats.js';

describe('spreadOf', () => {
  it('reports the middle value of an odd count, whatever the order', () => {
    expect(spreadOf([9, 1, 4])).toEqual({ median: 4, min: 1, max: 9 });
  });

  it('averages the two middle values of an even count', () => {
    expect(spreadOf([4, 1, 3, 10])).toEqual({ median: 3.5, min: 1, max: 10 });
  });

  it('refuses an empty list instead of inventing a figure', () => {
    expect(() => spreadOf([])).toThrow(/at least one value/);
  });
});

describe('pairRatios', () => {
  it('divides each A run by the B run of its own pair', () => {
    expect(pairRatios([2, 6, 3], [1, 2, 3])).toEqual({ median: 2, min: 1, max: 3 });
  });

  it('refuses unpaired runs', () => {
    expect(() => pairRatios([1, 2], [1])).toThrow(/as many A runs as B runs/);
  });
});

describe('controlPasses', () => {
  it('accepts an A/A ratio within 10% of 1.0 and rejects one outside', () => {
    expect(controlPasses({ median: 1.09, min: 1, max: 1.2 })).toBe(true);
    expect(controlPasses({ median: 0.91, min: 0.8, max: 1 })).toBe(true);
    expect(controlPasses({ median: 1.12, min: 1, max: 1.3 })).toBe(false);
    expect(controlPasses({ median: 0.85, min: 0.8, max: 1 })).toBe(false);
  });
});
