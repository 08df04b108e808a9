// Where a connection's streams land in the destination. A source names a namespace per stream
// (Postgres: the schema; MySQL: the database), and by default the destination keeps it. A
// connection can instead drop it (`namespace: destination`: the destination's configured schema or
// database) or set its own (`namespace: analytics`, or `raw_${SOURCE_NAMESPACE}`). Only what the
// destination sees changes: states, statistics and the source's catalog keep the source's names.

import type { RecordBatch } from '@conveyor/cdk';
import { type ConfiguredCatalog, type ConfiguredStream, configError } from '@conveyor/protocol';

export type NamespacePolicy =
  | { kind: 'source' }
  | { kind: 'destination' }
  | { kind: 'custom'; format: string };

const SOURCE_NAMESPACE = '${SOURCE_NAMESPACE}';

/** `source`, `destination`, or any other text as a custom format; refuses an empty one. */
export function parseNamespacePolicy(value: string, where: string): NamespacePolicy {
  if (value === 'source') return { kind: 'source' };
  if (value === 'destination') return { kind: 'destination' };
  if (value.trim() === '') {
    throw configError(
      `${where}: namespace is empty. Use source (keep the source's), destination (the destination's own schema or database) or a name such as raw_\${SOURCE_NAMESPACE}.`,
    );
  }
  return { kind: 'custom', format: value };
}

/** The destination namespace of a stream with source namespace `namespace`. */
export function mapNamespace(policy: NamespacePolicy, namespace: string | undefined): string | undefined {
  switch (policy.kind) {
    case 'source':
      return namespace;
    case 'destination':
      return undefined;
    case 'custom': {
      const mapped = policy.format.replaceAll(SOURCE_NAMESPACE, namespace ?? '');
      return mapped === '' ? undefined : mapped;
    }
  }
}

function withNamespace<T extends { namespace?: string }>(value: T, namespace: string | undefined): T {
  const { namespace: _dropped, ...rest } = value;
  return (namespace === undefined ? rest : { ...rest, namespace }) as T;
}

export function streamForDestination(
  policy: NamespacePolicy,
  configured: ConfiguredStream,
): ConfiguredStream {
  if (policy.kind === 'source') return configured;
  return {
    ...configured,
    stream: withNamespace(configured.stream, mapNamespace(policy, configured.stream.namespace)),
  };
}

export function catalogForDestination(
  policy: NamespacePolicy,
  catalog: ConfiguredCatalog,
): ConfiguredCatalog {
  if (policy.kind === 'source') return catalog;
  return { ...catalog, streams: catalog.streams.map((s) => streamForDestination(policy, s)) };
}

/**
 * The batch as the destination must see it. Raw lines carry their namespace too (a subprocess
 * destination reads it there), so they are rewritten; only when the policy is not `source`.
 */
export function batchForDestination(policy: NamespacePolicy, batch: RecordBatch): RecordBatch {
  if (policy.kind === 'source') return batch;
  const namespace = mapNamespace(policy, batch.namespace);
  if (batch.format === 'objects') return withNamespace(batch, namespace);
  const lines = batch.lines.map((line) => {
    try {
      const message = JSON.parse(line.toString('utf8')) as { record: { namespace?: string } };
      message.record = withNamespace(message.record, namespace);
      return Buffer.from(JSON.stringify(message));
    } catch {
      return line; // the destination reports a line that does not parse, with its line number
    }
  });
  return { ...withNamespace(batch, namespace), lines };
}
