import { describe, expect, it } from 'vitest';
import { parsePackageSpec } from '../src/index.js';

describe('parsePackageSpec', () => {
  it('reads names with and without a scope and a range', () => {
    expect(parsePackageSpec('@conveyor/source-faker')).toEqual({
      name: '@conveyor/source-faker',
      range: '*',
    });
    expect(parsePackageSpec('@conveyor/source-faker@^0.1')).toEqual({
      name: '@conveyor/source-faker',
      range: '^0.1',
    });
    expect(parsePackageSpec('tap-x@1.2.3')).toEqual({ name: 'tap-x', range: '1.2.3' });
  });

  it('says what a spec should look like when it is not one', () => {
    expect(() => parsePackageSpec('@conveyor/source-faker@latest!')).toThrow(
      /not a package spec.*@conveyor\/source-faker@\^0\.1/,
    );
  });
});
