// What `conveyor state reset --stream S` keeps: every state except those of the named streams,
// including their parts of a GLOBAL state (a CDC source keeps per-stream states inside it).

import { type StateMessage, streamKey } from '@conveyor/protocol';

export /** The states minus those of `streams`, including their parts of a GLOBAL state. */
function withoutStreams(states: StateMessage[], streams: Set<string>): StateMessage[] {
  return states.flatMap((s): StateMessage[] => {
    if (s.type === 'STREAM' && s.stream) return streams.has(streamKey(s.stream.stream_descriptor)) ? [] : [s];
    if (s.type === 'GLOBAL' && s.global) {
      const streamStates = s.global.stream_states.filter((p) => !streams.has(streamKey(p.stream_descriptor)));
      return [{ ...s, global: { ...s.global, stream_states: streamStates } }];
    }
    return [s];
  });
}
