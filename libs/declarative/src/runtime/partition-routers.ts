// Partition routers: where a stream's partitions come from. A list of values from the manifest or
// the config (ListPartitionRouter), or the records of a parent stream (SubstreamPartitionRouter:
// one partition per parent record, keyed by a field of it). Each partition may also put its value
// into the request (a query parameter, a header, a body field).

import { configError } from '@conveyor/protocol';
import { type Config, Interpolated } from './interpolated.js';
import { valuesAt } from './records.js';
import { emptyParts, RequestOption, type RequestParts } from './request-parts.js';
import type { Mapping, StreamSlice } from './slice.js';

export interface Partition {
  partition: Mapping;
  extra: Mapping;
}

export interface PartitionRouter {
  partitions(config: Config, signal: AbortSignal): AsyncIterable<Partition>;
  requestParts(slice: StreamSlice, config: Config): RequestParts;
}

/** Reads a parent stream's records (every slice of it), given the parent's DeclarativeStream model. */
export type ParentReader = (
  streamModel: Mapping,
  signal: AbortSignal,
) => AsyncIterable<{ record: Mapping; slice: StreamSlice }>;

function listRouter(model: Mapping, parameters: Mapping): PartitionRouter {
  const field = Interpolated.of(model.cursor_field, parameters);
  const option = model.request_option
    ? RequestOption.from(model.request_option as Mapping, parameters)
    : undefined;
  return {
    async *partitions(config) {
      const raw =
        typeof model.values === 'string'
          ? Interpolated.of(model.values, parameters).eval(config)
          : model.values;
      // a string is iterated character by character, as Python iterates it (empty: no partitions)
      const values = typeof raw === 'string' ? [...raw] : raw;
      if (!Array.isArray(values))
        throw configError(`ListPartitionRouter values evaluate to ${JSON.stringify(raw)}, not a list.`);
      const name = field.evalString(config);
      for (const value of values) yield { partition: { [name]: value }, extra: {} };
    },
    requestParts(slice, config) {
      const parts = emptyParts();
      const name = field.evalString(config);
      if (option && name in slice.partition) option.inject(parts, slice.partition[name], config);
      return parts;
    },
  };
}

interface ParentConfig {
  stream: Mapping;
  parentKey: Interpolated;
  partitionField: Interpolated;
  option?: RequestOption;
  extraFields: Interpolated[][];
}

function substreamRouter(model: Mapping, parameters: Mapping, readParent: ParentReader): PartitionRouter {
  const parents: ParentConfig[] = ((model.parent_stream_configs as Mapping[]) ?? []).map((p) => {
    const params = { ...parameters, ...((p.$parameters as Mapping) ?? {}) };
    return {
      stream: p.stream as Mapping,
      parentKey: Interpolated.of(p.parent_key, params),
      partitionField: Interpolated.of(p.partition_field, params),
      option: p.request_option ? RequestOption.from(p.request_option as Mapping, params) : undefined,
      extraFields: ((p.extra_fields as unknown[][]) ?? []).map((path) =>
        path.map((k) => Interpolated.of(k, params)),
      ),
    };
  });
  return {
    async *partitions(config, signal) {
      for (const parent of parents) {
        const keyPath = parent.parentKey.evalString(config).split('/');
        const field = parent.partitionField.evalString(config);
        for await (const { record, slice } of readParent(parent.stream, signal)) {
          const found = valuesAt(record, keyPath);
          if (found.length === 0) continue;
          const extra: Mapping = {};
          for (const path of parent.extraFields) {
            const keys = path.map((k) => k.evalString(config));
            extra[keys.join('.')] = valuesAt(record, keys)[0] ?? null;
          }
          yield { partition: { [field]: found[0], parent_slice: slice.partition }, extra };
        }
      }
    },
    requestParts(slice, config) {
      const parts = emptyParts();
      for (const parent of parents) {
        const field = parent.partitionField.evalString(config);
        if (parent.option && field in slice.partition)
          parent.option.inject(parts, slice.partition[field], config);
      }
      return parts;
    },
  };
}

/** The partitions of a stream with no router: one, empty. */
export const singlePartition: PartitionRouter = {
  async *partitions() {
    yield { partition: {}, extra: {} };
  },
  requestParts: () => emptyParts(),
};

/** Several routers combined: the cartesian product of their partitions. */
function productRouter(routers: PartitionRouter[]): PartitionRouter {
  return {
    async *partitions(config, signal) {
      let combos: Partition[] = [{ partition: {}, extra: {} }];
      for (const router of routers) {
        const next: Partition[] = [];
        const own: Partition[] = [];
        for await (const p of router.partitions(config, signal)) own.push(p);
        for (const a of combos)
          for (const b of own)
            next.push({ partition: { ...a.partition, ...b.partition }, extra: { ...a.extra, ...b.extra } });
        combos = next;
      }
      yield* combos;
    },
    requestParts(slice, config) {
      const parts = emptyParts();
      for (const router of routers) {
        const p = router.requestParts(slice, config);
        Object.assign(parts.params, p.params);
        Object.assign(parts.headers, p.headers);
        if (p.bodyJson) parts.bodyJson = { ...(parts.bodyJson ?? {}), ...p.bodyJson };
      }
      return parts;
    },
  };
}

export function partitionRouterFrom(
  model: unknown,
  parameters: Mapping,
  readParent: ParentReader,
): PartitionRouter {
  if (model === undefined || model === null) return singlePartition;
  if (Array.isArray(model))
    return productRouter(model.map((m) => partitionRouterFrom(m, parameters, readParent)));
  const m = model as Mapping;
  const params = { ...parameters, ...((m.$parameters as Mapping) ?? {}) };
  switch (m.type) {
    case 'ListPartitionRouter':
      return listRouter(m, params);
    case 'SubstreamPartitionRouter':
      return substreamRouter(m, params, readParent);
    default:
      throw configError(
        `The partition router "${String(m.type)}" is not supported (ListPartitionRouter, SubstreamPartitionRouter).`,
      );
  }
}
