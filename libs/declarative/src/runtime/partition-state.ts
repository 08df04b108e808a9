// The state of a partitioned incremental stream in the reference's per-partition shape, so that a
// connection moved from Airbyte resumes each partition where it was, and Airbyte can read ours:
//   { use_global_cursor: false, states: [{ partition, cursor: { field: value } }], state: { field: value } }
// `states` holds one cursor per partition (its greatest record cursor), `state` the greatest over
// all partitions, used for partitions the saved state does not list. A saved state of one plain
// cursor (`{ field: value }`, an older Conveyor state) applies to every partition.

import type { Config } from './interpolated.js';
import type { Mapping } from './slice.js';

/** A partition's identity: its JSON with keys sorted at every level (the reference's sort_keys=True). */
function canonicalKey(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    isMapping(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
      : v,
  );
}

/** What the tracker needs of the stream's datetime cursor. */
export interface PartitionCursor {
  field(config: Config): string;
  parse(value: unknown): number;
  stateFor(maxMs: number, config: Config): Mapping;
}

function isMapping(value: unknown): value is Mapping {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export class PartitionStates {
  private readonly saved = new Map<string, { partition: Mapping; cursor: Mapping }>();
  private readonly global: Mapping | undefined;
  private readonly reached = new Map<string, { partition: Mapping; maxMs: number }>();
  private globalMax: number | undefined;

  constructor(
    saved: Mapping | undefined,
    private readonly cursor: PartitionCursor,
    private readonly config: Config,
  ) {
    if (!saved || Object.keys(saved).length === 0) return;
    if (!('states' in saved) && !('state' in saved)) {
      this.global = saved;
    } else {
      for (const entry of Array.isArray(saved.states) ? saved.states : []) {
        if (isMapping(entry) && isMapping(entry.partition) && isMapping(entry.cursor))
          this.saved.set(canonicalKey(entry.partition), { partition: entry.partition, cursor: entry.cursor });
      }
      this.global = isMapping(saved.state) ? saved.state : undefined;
    }
    const field = cursor.field(config);
    const values = [this.global, ...[...this.saved.values()].map((s) => s.cursor)];
    for (const value of values) {
      const ms = this.parsed(value?.[field]);
      if (ms !== undefined && (this.globalMax === undefined || ms > this.globalMax)) this.globalMax = ms;
    }
  }

  private parsed(value: unknown): number | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    try {
      return this.cursor.parse(value);
    } catch {
      return undefined;
    }
  }

  /** The cursor state a partition resumes from: its own, else the global one, else none. */
  forPartition(partition: Mapping): Mapping | undefined {
    return this.saved.get(canonicalKey(partition))?.cursor ?? this.global;
  }

  /** Notes a record's cursor (epoch ms) in its partition. */
  see(partition: Mapping, ms: number): void {
    const key = canonicalKey(partition);
    const entry = this.reached.get(key);
    if (!entry) this.reached.set(key, { partition, maxMs: ms });
    else if (ms > entry.maxMs) entry.maxMs = ms;
    if (this.globalMax === undefined || ms > this.globalMax) this.globalMax = ms;
  }

  /** The state to checkpoint once every partition is read; undefined when no cursor is known at all. */
  state(): Mapping | undefined {
    if (this.globalMax === undefined) return undefined;
    const field = this.cursor.field(this.config);
    const states = new Map<string, { partition: Mapping; cursor: Mapping }>(this.saved);
    for (const [key, { partition, maxMs }] of this.reached) {
      const before = this.parsed(states.get(key)?.cursor[field]);
      if (before === undefined || maxMs > before)
        states.set(key, { partition, cursor: this.cursor.stateFor(maxMs, this.config) });
    }
    return {
      use_global_cursor: false,
      states: [...states.values()],
      state: this.cursor.stateFor(this.globalMax, this.config),
    };
  }
}
