import type { StateMessage } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { withoutStreams } from '../src/state-reset.js';

const stream = (name: string): StateMessage => ({
  type: 'STREAM',
  stream: { stream_descriptor: { name }, stream_state: { c: 1 } },
});

describe('withoutStreams', () => {
  it('drops the named streams, whether per-stream or inside a GLOBAL state', () => {
    const global: StateMessage = {
      type: 'GLOBAL',
      global: {
        shared_state: { lsn: 42 },
        stream_states: [
          { stream_descriptor: { name: 'a' }, stream_state: { c: 1 } },
          { stream_descriptor: { name: 'b', namespace: 'crm' }, stream_state: { c: 2 } },
        ],
      },
    };
    expect(withoutStreams([stream('a'), stream('x')], new Set(['a']))).toEqual([stream('x')]);
    expect(withoutStreams([global], new Set(['crm.b']))).toEqual([
      {
        type: 'GLOBAL',
        global: {
          shared_state: { lsn: 42 },
          stream_states: [{ stream_descriptor: { name: 'a' }, stream_state: { c: 1 } }],
        },
      },
    ]);
  });
});
