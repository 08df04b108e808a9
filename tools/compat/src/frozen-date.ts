// Loaded into our engine's process (`node --import`) when the harness freezes the clock: `Date`
// reads the instant in COMPAT_FROZEN_NOW instead of the system clock, as the reference's
// `datetime.now()` does under time-machine. Timers are untouched (they run on the monotonic clock).

const frozen = Date.parse(process.env.COMPAT_FROZEN_NOW ?? '');

if (!Number.isNaN(frozen)) {
  const SystemDate = Date;
  class FrozenDate extends SystemDate {
    constructor(...args: ConstructorParameters<typeof Date> | []) {
      if (args.length === 0) super(frozen);
      else super(...(args as ConstructorParameters<typeof Date>));
    }

    static override now(): number {
      return frozen;
    }
  }
  globalThis.Date = FrozenDate as DateConstructor;
}
