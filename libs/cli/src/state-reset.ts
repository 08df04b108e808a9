// What `conveyor state reset --stream S` keeps: every state except those of the named streams,
// including their parts of a GLOBAL state (a CDC source keeps per-stream states inside it).

import { configError, type StateMessage, type StreamDescriptor, streamKey } from '@conveyor/protocol';

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

function descriptorsOf(states: readonly StateMessage[]): StreamDescriptor[] {
  return states.flatMap((s): StreamDescriptor[] => {
    if (s.type === 'STREAM' && s.stream) return [s.stream.stream_descriptor];
    if (s.type === 'GLOBAL' && s.global) return s.global.stream_states.map((p) => p.stream_descriptor);
    return [];
  });
}

/**
 * The stream keys (`namespace.name`) that `--stream` names mean: a full key, or a bare name when
 * one stream with state has it. A name that matches no stream, or several, is refused with the
 * streams that have state, so a reset never reports success for something it did not reset.
 */
export function resolveStreams(
  connection: string,
  requested: readonly string[],
  states: readonly StateMessage[],
): Set<string> {
  const descriptors = descriptorsOf(states);
  const keys = [...new Set(descriptors.map(streamKey))];
  const resolved = new Set<string>();
  for (const name of requested) {
    if (keys.includes(name)) {
      resolved.add(name);
      continue;
    }
    const byName = [...new Set(descriptors.filter((d) => d.name === name).map(streamKey))];
    if (byName.length === 1) {
      resolved.add(byName[0] as string);
      continue;
    }
    const known = keys.length > 0 ? keys.join(', ') : 'none';
    throw configError(
      byName.length > 1
        ? `Stream "${name}" of connection ${connection} is ambiguous: ${byName.join(', ')}. Give the namespace too.`
        : `Connection ${connection} has no state for stream "${name}". Streams with state: ${known}.`,
    );
  }
  return resolved;
}
