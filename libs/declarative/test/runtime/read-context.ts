// The read context the runtime tests pass: a silent logger and a signal nothing aborts.

import type { ReadContext } from '@conveyor/cdk';

export const ctx = (): ReadContext => ({
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  signal: new AbortController().signal,
});
