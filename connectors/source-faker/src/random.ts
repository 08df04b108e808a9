// Randomness that depends only on (seed, stream, record index). Every record re-seeds a single
// reusable generator from a hash of the three, so any record can be produced without producing
// the ones before it: reads start at any index and a resumed read repeats exactly what a full
// read would have emitted. The generator is mulberry32; the seeding hash is splitmix-style
// integer mixing. Both are a few Math.imul calls, cheap enough to run once per record.

function mix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) | 0;
}

/** Folds any safe integer (negative or beyond 32 bits) into 32 bits without dropping the high part. */
function fold(value: number): number {
  const high = Math.floor(value / 0x1_0000_0000);
  return (value - high * 0x1_0000_0000) ^ mix32(high);
}

/** A stable 32-bit salt for a stream name, so streams sharing a seed draw unrelated values. */
export function streamSalt(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

export class RecordRandom {
  private state = 0;
  private readonly base: number;

  constructor(seed: number, salt: number) {
    this.base = mix32(fold(seed) ^ salt);
  }

  /** Positions the generator at the start of record `index`. */
  seek(index: number): void {
    this.state = mix32(this.base ^ mix32(fold(index) + 0x9e3779b9));
  }

  /** Next unsigned 32-bit value. */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, n) for n up to 2^32; the modulo bias is irrelevant for fake data. */
  below(n: number): number {
    return this.next() % n;
  }

  pick<T>(values: readonly T[]): T {
    return values[this.next() % values.length]!;
  }
}
