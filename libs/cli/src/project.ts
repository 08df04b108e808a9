// The project file (`conveyor.yml`): named sources and destinations, and connections between them.
// Every mistake is reported with the file, the line and the path of the bad entry.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  type NamespacePolicy,
  parseNamespacePolicy,
  SCHEMA_POLICIES,
  type SchemaPolicy,
  type StreamSelection,
} from '@conveyor/engine';
import { configError, type JsonObject, substituteEnv } from '@conveyor/protocol';

export { substituteEnv };

import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';

export interface ConnectorEntry {
  name: string;
  connector: string;
  config: JsonObject;
}

export interface ConnectionEntry {
  name: string;
  source: ConnectorEntry;
  destination: ConnectorEntry;
  streams?: StreamSelection[];
  checkpoint?: { records?: number; seconds?: number };
  heartbeatSeconds?: number;
  /** What a change in the source's schema does (default propagate_columns). */
  schemaChanges?: SchemaPolicy;
  /** Alerts for this connection go here (else to the project's alerts.webhook). */
  webhook?: string;
  /** Where streams land in the destination: `namespace:` (default source). */
  namespace?: NamespacePolicy;
}

export interface HealthSettings {
  /** Records read per stream by a health check (default 100). */
  sampleRecords: number;
  /** Share of sampled records breaking a field's schema that counts as drift (default 0.05). */
  driftThreshold: number;
  /** Up/down alerts per connection at most this often (default 30 minutes). */
  alertCooldownMinutes: number;
  webhook?: string;
}

export interface Project {
  file: string;
  dir: string;
  sources: Map<string, ConnectorEntry>;
  destinations: Map<string, ConnectorEntry>;
  connections: Map<string, ConnectionEntry>;
  health: HealthSettings;
  /** Where `conveyor connectors install` looks when neither --registry nor $CONVEYOR_REGISTRY says. */
  registry?: string;
}

const SYNC_MODES = ['full_refresh', 'incremental'];
const DESTINATION_MODES = ['append', 'overwrite', 'append_dedup'];

export function loadProject(file: string): Project {
  const path = resolve(file);
  if (!existsSync(path)) {
    throw configError(
      `Project file ${file} not found. Create one (see the README's "Project file" section) or pass -f PATH.`,
    );
  }
  const text = readFileSync(path, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const pos = e.linePos?.[0];
    throw configError(
      `${file}${pos ? `:${pos.line}:${pos.col}` : ''} is not valid YAML: ${e.message.split('\n')[0]}`,
    );
  }
  const at = (node: Node | null | undefined, label: string) => {
    const offset = node?.range?.[0];
    const line = offset === undefined ? undefined : lines.linePos(offset).line;
    return `${file}${line ? `:${line}` : ''} (${label})`;
  };
  const root = doc.contents;
  if (!isMap(root))
    throw configError(`${file} must be a mapping with sources:, destinations: and connections:.`);

  const section = (key: string, kind: 'source' | 'destination') => {
    const out = new Map<string, ConnectorEntry>();
    const node = root.get(key, true);
    if (node === undefined) return out;
    if (!isMap(node))
      throw configError(`${at(node as Node, key)}: must be a mapping of names to { connector, config }.`);
    for (const pair of node.items) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const value = pair.value as Node | null;
      const label = `${key}.${name}`;
      if (!isMap(value))
        throw configError(`${at(value ?? (pair.key as Node), label)}: must have connector: and config:.`);
      const connector = value.get('connector');
      if (typeof connector !== 'string' || connector.length === 0) {
        throw configError(
          `${at(value, label)}: connector: is missing; name the ${kind} connector (for example ${kind === 'source' ? 'faker' : 'duckdb'}).`,
        );
      }
      const configNode = value.get('config', true) as Node | undefined;
      const config = configNode === undefined ? {} : (configNode.toJSON() as unknown);
      if (config === null || typeof config !== 'object' || Array.isArray(config)) {
        throw configError(`${at(configNode, `${label}.config`)}: config: must be a mapping.`);
      }
      out.set(name, { name, connector, config: substituteEnv(config, `${label}.config`) as JsonObject });
    }
    return out;
  };
  const sources = section('sources', 'source');
  const destinations = section('destinations', 'destination');
  const connections = new Map<string, ConnectionEntry>();
  const conNode = root.get('connections', true);
  if (conNode !== undefined && !isMap(conNode))
    throw configError(`${at(conNode as Node, 'connections')}: must be a mapping of names to connections.`);
  if (isMap(conNode)) {
    for (const pair of conNode.items) {
      const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
      const label = `connections.${name}`;
      const value = pair.value as Node | null;
      if (!isMap(value))
        throw configError(`${at(value ?? (pair.key as Node), label)}: must have source: and destination:.`);
      const ref = (key: 'source' | 'destination', pool: Map<string, ConnectorEntry>) => {
        const wanted = value.get(key);
        const entry = typeof wanted === 'string' ? pool.get(wanted) : undefined;
        if (!entry) {
          const defined = [...pool.keys()].join(', ') || 'none';
          throw configError(
            `${at((value.get(key, true) as Node | undefined) ?? value, `${label}.${key}`)}: ${key} ${wanted === undefined ? 'is missing' : `"${String(wanted)}" is not defined under ${key}s:`} (defined: ${defined}).`,
          );
        }
        return entry;
      };
      const entry: ConnectionEntry = {
        name,
        source: ref('source', sources),
        destination: ref('destination', destinations),
      };
      const streamsNode = value.get('streams', true) as Node | undefined;
      if (streamsNode !== undefined) {
        if (!isSeq(streamsNode))
          throw configError(`${at(streamsNode, `${label}.streams`)}: must be a list of streams.`);
        entry.streams = streamsNode.items.map((item, i) => {
          const where = at(item as Node, `${label}.streams[${i}]`);
          const s = (item as Node).toJSON() as unknown;
          if (typeof s === 'string') return { name: s };
          if (!s || typeof s !== 'object' || typeof (s as { name?: unknown }).name !== 'string') {
            throw configError(`${where}: each stream needs a name (a string, or a mapping with name:).`);
          }
          const sel = s as StreamSelection;
          if (sel.sync_mode && !SYNC_MODES.includes(sel.sync_mode)) {
            throw configError(
              `${where}: sync_mode "${sel.sync_mode}" is not one of ${SYNC_MODES.join(', ')}.`,
            );
          }
          if (sel.destination_sync_mode && !DESTINATION_MODES.includes(sel.destination_sync_mode)) {
            throw configError(
              `${where}: destination_sync_mode "${sel.destination_sync_mode}" is not one of ${DESTINATION_MODES.join(', ')}.`,
            );
          }
          return sel;
        });
      }
      const checkpoint = value.get('checkpoint', true) as Node | undefined;
      if (checkpoint !== undefined)
        entry.checkpoint = checkpoint.toJSON() as { records?: number; seconds?: number };
      const heartbeat = value.get('heartbeat_timeout');
      if (typeof heartbeat === 'number') entry.heartbeatSeconds = heartbeat;
      const policy = value.get('schema_changes');
      if (policy !== undefined) {
        if (typeof policy !== 'string' || !(SCHEMA_POLICIES as readonly string[]).includes(policy)) {
          throw configError(
            `${at(value.get('schema_changes', true) as Node, `${label}.schema_changes`)}: "${String(policy)}" is not a policy; use one of ${SCHEMA_POLICIES.join(', ')}.`,
          );
        }
        entry.schemaChanges = policy as SchemaPolicy;
      }
      const namespace = value.get('namespace', true) as Node | undefined;
      if (namespace !== undefined) {
        const text = isScalar(namespace) ? namespace.value : undefined;
        if (typeof text !== 'string') {
          throw configError(
            `${at(namespace, `${label}.namespace`)}: must be source, destination or a name such as raw_\${SOURCE_NAMESPACE}.`,
          );
        }
        entry.namespace = parseNamespacePolicy(text, at(namespace, `${label}.namespace`));
      }
      const alerts = value.get('alerts', true) as Node | undefined;
      if (alerts !== undefined) entry.webhook = webhookOf(alerts, `${label}.alerts`);
      connections.set(name, entry);
    }
  }
  const health: HealthSettings = { sampleRecords: 100, driftThreshold: 0.05, alertCooldownMinutes: 30 };
  const healthNode = root.get('health', true) as Node | undefined;
  if (healthNode !== undefined) {
    const h = (healthNode.toJSON() ?? {}) as Record<string, unknown>;
    if (h.sample_records !== undefined) {
      if (!Number.isInteger(h.sample_records) || (h.sample_records as number) < 1)
        throw configError(
          `${at(healthNode, 'health.sample_records')}: must be a whole number of records, at least 1.`,
        );
      health.sampleRecords = h.sample_records as number;
    }
    if (h.drift_threshold !== undefined) {
      const t = h.drift_threshold;
      if (typeof t !== 'number' || t <= 0 || t > 1)
        throw configError(
          `${at(healthNode, 'health.drift_threshold')}: must be a share between 0 and 1, like 0.05.`,
        );
      health.driftThreshold = t;
    }
    if (h.alert_cooldown_minutes !== undefined) {
      const m = h.alert_cooldown_minutes;
      if (typeof m !== 'number' || m < 0)
        throw configError(
          `${at(healthNode, 'health.alert_cooldown_minutes')}: must be a number of minutes, 0 or more.`,
        );
      health.alertCooldownMinutes = m;
    }
  }
  const alertsNode = root.get('alerts', true) as Node | undefined;
  if (alertsNode !== undefined) {
    const webhook = webhookOf(alertsNode, 'alerts');
    if (webhook) health.webhook = webhook;
  }
  const registry = root.get('registry');
  if (registry !== undefined && (typeof registry !== 'string' || !/^https?:\/\//.test(registry))) {
    throw configError(
      `${at(root.get('registry', true) as Node, 'registry')}: must be the URL of an npm registry, like http://127.0.0.1:4873/.`,
    );
  }
  return {
    file: path,
    dir: dirname(path),
    sources,
    destinations,
    connections,
    health,
    ...(typeof registry === 'string' ? { registry } : {}),
  };

  function webhookOf(node: Node, label: string): string | undefined {
    const value = (node.toJSON() ?? {}) as Record<string, unknown>;
    if (value.webhook === undefined) return undefined;
    const url = substituteEnv(value.webhook, `${label}.webhook`);
    let parsed: URL | undefined;
    try {
      parsed = typeof url === 'string' ? new URL(url) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.username || parsed.password) {
      throw configError(
        `${at(node, `${label}.webhook`)}: must be an http(s) URL without a user or password in it (put a URL holding a token in an environment variable: \${ALERT_WEBHOOK}).`,
      );
    }
    return parsed.href;
  }
}
