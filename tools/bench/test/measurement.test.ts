import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { measureNode } from '../src/child-run.js';
import { topFunctions } from '../src/profile.js';
import { checksumDifferences, repeated } from '../src/table-check.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-measure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('measureNode', () => {
  it('reports the peak memory of the child, not of the bench', async () => {
    const script = join(dir, 'allocate.mjs');
    writeFileSync(script, 'const b = Buffer.alloc(200 * 1024 * 1024, 1); console.log(b[123]);\n');
    const run = await measureNode({ args: [script] });
    expect(run.peakRssMiB).toBeGreaterThan(200);
    expect(run.stdout.trim()).toBe('1');
  });

  it('fails with the tail of stderr when the child fails', async () => {
    const script = join(dir, 'fail.mjs');
    writeFileSync(script, "process.stderr.write('the reason\\n'); process.exit(3);\n");
    await expect(measureNode({ args: [script] })).rejects.toThrow(/exited with code 3[\s\S]*the reason/);
  });
});

describe('checksums', () => {
  const full = { rows: 3, sumId: 6, distinctEmails: 3, sumAge: 90, sumNameLength: 30 };

  it('names each field that differs, and compares only the fields promised', () => {
    expect(checksumDifferences({ ...full, rows: 2 }, full)).toEqual(['rows: got 2, expected 3']);
    expect(checksumDifferences({ ...full, sumAge: 1 }, { rows: 3, sumId: 6 })).toEqual([]);
  });

  it('scales for a source that sends the same records twice, keeping distinct emails', () => {
    expect(repeated(full, 2)).toEqual({
      rows: 6,
      sumId: 12,
      distinctEmails: 3,
      sumAge: 180,
      sumNameLength: 60,
    });
  });
});

describe('topFunctions', () => {
  it('sums self time per function across nodes and sorts by it', () => {
    const frame = (functionName: string, lineNumber: number) => ({
      functionName,
      url: 'file:///repo/libs/engine/dist/sync.js',
      lineNumber,
    });
    const top = topFunctions(
      {
        nodes: [
          { id: 1, callFrame: frame('writeBatch', 9) },
          { id: 2, callFrame: frame('parse', 19) },
          { id: 3, callFrame: frame('writeBatch', 9) },
        ],
        samples: [1, 2, 3, 2],
        timeDeltas: [3000, 1000, 3000, 1000],
      },
      5,
    );
    expect(top.map((f) => [f.name, f.location, f.selfMs])).toEqual([
      ['writeBatch', 'dist/sync.js:10', 6],
      ['parse', 'dist/sync.js:20', 2],
    ]);
    expect(top[0]!.share).toBeCloseTo(0.75);
  });
});
