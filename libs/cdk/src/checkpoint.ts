// When a source checkpoints. A checkpoint (a STATE message) costs the destination a commit, so
// emitting one per record would make every sync crawl; emitting none until the end would make a
// failed sync start over. The policy checkpoints after a number of records or after some time,
// whichever comes first. It is only consulted between the items a stream yields, so a batch is
// never split by a checkpoint.

export interface CheckpointPolicyOptions {
  /** Checkpoint after this many records since the last checkpoint. Default 10,000. */
  everyRecords?: number;
  /** Checkpoint when this many seconds have passed since the last checkpoint. Default 5. */
  everySeconds?: number;
  /** Milliseconds clock; tests pass a fake one. */
  now?: () => number;
}

export class CheckpointPolicy {
  readonly everyRecords: number;
  readonly everyMs: number;
  private readonly now: () => number;
  private records = 0;
  private lastCheckpointAt: number;

  constructor(options: CheckpointPolicyOptions = {}) {
    // the acceptance kit sets CONVEYOR_CHECKPOINT_RECORDS low, so that small test reads checkpoint
    // often and resuming from a checkpoint is really tested
    const fromEnv = Number(process.env.CONVEYOR_CHECKPOINT_RECORDS);
    this.everyRecords =
      options.everyRecords ?? (Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : 10_000);
    this.everyMs = (options.everySeconds ?? 5) * 1000;
    if (!(this.everyRecords >= 1))
      throw new RangeError(`everyRecords must be at least 1, got ${this.everyRecords}`);
    if (!(this.everyMs >= 0))
      throw new RangeError(`everySeconds must not be negative, got ${options.everySeconds}`);
    this.now = options.now ?? Date.now;
    this.lastCheckpointAt = this.now();
  }

  /** Counts `count` more records; true when a checkpoint is due now. */
  observe(count: number): boolean {
    this.records += count;
    if (this.records === 0) return false;
    return this.records >= this.everyRecords || this.now() - this.lastCheckpointAt >= this.everyMs;
  }

  /** Starts a new interval; call it right after emitting a checkpoint. */
  checkpointed(): void {
    this.records = 0;
    this.lastCheckpointAt = this.now();
  }
}
