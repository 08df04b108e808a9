// A stream slice, the unit a declarative stream reads: the partition (a parent record's key, a
// value from a list) and the cursor window (start and end of a datetime interval), kept apart as
// the reference keeps them, plus fields that ride along without being sent. Templates see the
// merged view as `stream_slice`, the parts as `stream_partition` and `stream_interval`.

import { TemplateMapping } from '../interpolation/index.js';

export type Mapping = Record<string, unknown>;

export interface StreamSlice {
  readonly partition: Mapping;
  readonly cursor: Mapping;
  /** not part of the slice's identity: parent records handed to children, query properties */
  readonly extra: Mapping;
}

export const EMPTY_SLICE: StreamSlice = Object.freeze({ partition: {}, cursor: {}, extra: {} });

export function sliceOf(partition: Mapping = {}, cursor: Mapping = {}, extra: Mapping = {}): StreamSlice {
  return { partition, cursor, extra };
}

/** The merged mapping templates read as `stream_slice` (partition keys, then cursor keys, then extra fields). */
export function sliceView(slice: StreamSlice): Mapping {
  return { ...slice.partition, ...slice.cursor, ...slice.extra };
}

/**
 * The variables every template evaluated while reading a slice can use. `stream_slice` (and its
 * aliases `stream_partition`, `stream_interval`) reads as the merged mapping and also has the
 * reference's `.partition`, `.cursor_slice` and `.extra_fields`.
 */
export function sliceScope(slice: StreamSlice): Mapping {
  const view = new TemplateMapping(sliceView(slice), {
    partition: slice.partition,
    cursor_slice: slice.cursor,
    extra_fields: slice.extra,
  });
  // the reference passes the whole slice under all three names
  return { stream_slice: view, stream_partition: view, stream_interval: view };
}
