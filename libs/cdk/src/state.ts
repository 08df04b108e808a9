// Reading saved state. Sources emit per-stream STATE, but a state handed to a read may also come
// from an older connector or Airbyte: a GLOBAL state (shared + per-stream parts) or a LEGACY blob
// keyed by stream name. Each shape is understood here, in one place.

import type { JsonObject, StateMessage, StreamDescriptor } from '@conveyor/protocol';

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sameStream(a: StreamDescriptor, b: StreamDescriptor): boolean {
  return a.name === b.name && (a.namespace ?? undefined) === (b.namespace ?? undefined);
}

/** This stream's saved state, or undefined. When several states mention the stream, the last wins. */
export function streamStateFor(
  states: readonly StateMessage[],
  stream: StreamDescriptor,
): JsonObject | undefined {
  let found: JsonObject | undefined;
  for (const state of states) {
    const type = state.type ?? (state.stream ? 'STREAM' : state.global ? 'GLOBAL' : 'LEGACY');
    if (type === 'STREAM' && state.stream && sameStream(state.stream.stream_descriptor, stream)) {
      found = state.stream.stream_state ?? found;
    } else if (type === 'GLOBAL' && state.global) {
      const own = state.global.stream_states.find((s) => sameStream(s.stream_descriptor, stream));
      if (own?.stream_state) found = own.stream_state;
    } else if (type === 'LEGACY' && isObject(state.data)) {
      const keyed = state.data[stream.name];
      if (isObject(keyed)) found = keyed;
    }
  }
  return found;
}

/**
 * The states in a `--state` file: a list of STATE messages or of their `state` parts (Airbyte
 * style), one such object, or a bare legacy blob `{ "<stream>": {...} }` (any object without a
 * `type`). Returns undefined when the JSON has none of these shapes.
 */
export function statesFromJson(json: unknown): StateMessage[] | undefined {
  if (Array.isArray(json)) {
    const states: StateMessage[] = [];
    for (const item of json) {
      const state = typedState(item) ?? untypedListState(item);
      if (!state) return undefined;
      states.push(state);
    }
    return states;
  }
  if (!isObject(json)) return undefined;
  if (json.type === undefined) return Object.keys(json).length === 0 ? [] : [{ type: 'LEGACY', data: json }];
  const state = typedState(json);
  return state ? [state] : undefined;
}

function typedState(item: unknown): StateMessage | undefined {
  if (!isObject(item)) return undefined;
  if (item.type === 'STATE') return isObject(item.state) ? (item.state as StateMessage) : undefined;
  if (item.type === 'STREAM' && isObject(item.stream)) return item as StateMessage;
  if (item.type === 'GLOBAL' && isObject(item.global)) return item as StateMessage;
  if (item.type === 'LEGACY' && isObject(item.data)) return item as StateMessage;
  return undefined;
}

// Older writers left out `type` inside a list; the part that is present says which shape it is.
function untypedListState(item: unknown): StateMessage | undefined {
  if (!isObject(item) || item.type !== undefined) return undefined;
  if (isObject(item.stream)) return { ...item, type: 'STREAM' } as StateMessage;
  if (isObject(item.global)) return { ...item, type: 'GLOBAL' } as StateMessage;
  if (isObject(item.data)) return { ...item, type: 'LEGACY' } as StateMessage;
  return undefined;
}
