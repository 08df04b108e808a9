// Singer catalogs and the protocol's catalogs, both ways. A Singer stream becomes a stream named by
// its tap_stream_id, with the tap's key properties as its primary key and its valid replication keys
// as a source-defined cursor. Going back, the discovered Singer catalog is marked up from the
// configured catalog: selected streams and properties, replication method and key.

import type {
  AirbyteStream,
  Catalog,
  ConfiguredCatalog,
  ConnectorSpecification,
  JsonObject,
} from '@conveyor/protocol';

export interface SingerMetadataEntry {
  breadcrumb: string[];
  metadata: JsonObject;
}

export interface SingerStream {
  tap_stream_id: string;
  stream?: string;
  schema: JsonObject;
  key_properties?: string[];
  replication_key?: string;
  replication_method?: string;
  metadata?: SingerMetadataEntry[];
  [key: string]: unknown;
}

export interface SingerCatalog {
  streams: SingerStream[];
}

function topMetadata(stream: SingerStream): JsonObject {
  return stream.metadata?.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
}

function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : undefined;
}

/**
 * `capabilities` are the tap's own (from `--about`): a tap that keeps state but names no replication
 * key (SQL taps) lets the user pick the cursor column.
 */
export function toCatalog(singer: SingerCatalog, capabilities: string[] = []): Catalog {
  return {
    streams: singer.streams.map((s): AirbyteStream => {
      const meta = topMetadata(s);
      const keys = strings(meta['table-key-properties']) ?? s.key_properties ?? [];
      const cursors =
        strings(meta['valid-replication-keys']) ??
        (typeof meta['replication-key'] === 'string' ? [meta['replication-key']] : undefined) ??
        (s.replication_key ? [s.replication_key] : []);
      const forcedFull = meta['forced-replication-method'] === 'FULL_TABLE';
      const userCursor = cursors.length === 0 && capabilities.includes('state');
      const incremental = !forcedFull && (cursors.length > 0 || userCursor);
      const stream: AirbyteStream = {
        name: s.tap_stream_id,
        json_schema: s.schema,
        supported_sync_modes: incremental ? ['full_refresh', 'incremental'] : ['full_refresh'],
      };
      if (incremental && !userCursor) {
        stream.source_defined_cursor = true;
        stream.default_cursor_field = [cursors[0]!];
      }
      if (keys.length > 0) stream.source_defined_primary_key = keys.map((k) => [k]);
      return stream;
    }),
  };
}

/** The discovered Singer catalog with the configured streams (and all their properties) selected. */
export function selectStreams(singer: SingerCatalog, configured: ConfiguredCatalog): SingerCatalog {
  const byName = new Map(configured.streams.map((c) => [c.stream.name, c]));
  return {
    ...singer,
    streams: singer.streams.map((s) => {
      const chosen = byName.get(s.tap_stream_id);
      const incremental = chosen?.sync_mode === 'incremental';
      const cursor = chosen?.cursor_field?.[0] ?? chosen?.stream.default_cursor_field?.[0];
      const stream: SingerStream = { ...s };
      const entries = (s.metadata ?? []).map((m) => ({
        breadcrumb: m.breadcrumb,
        metadata: { ...m.metadata },
      }));
      let top = entries.find((m) => m.breadcrumb.length === 0);
      if (!top) {
        top = { breadcrumb: [], metadata: {} };
        entries.unshift(top);
      }
      top.metadata.selected = chosen !== undefined;
      if (chosen) {
        top.metadata['replication-method'] = incremental ? 'INCREMENTAL' : 'FULL_TABLE';
        // older taps read these from the stream itself rather than its metadata
        stream.replication_method = incremental ? 'INCREMENTAL' : 'FULL_TABLE';
        if (incremental && cursor) {
          top.metadata['replication-key'] = cursor;
          stream.replication_key = cursor;
        }
        const properties = (s.schema.properties ?? {}) as JsonObject;
        for (const name of Object.keys(properties)) {
          const crumb = entries.find((m) => m.breadcrumb.length === 2 && m.breadcrumb[1] === name);
          if (crumb) {
            if (crumb.metadata.inclusion !== 'unsupported') crumb.metadata.selected = true;
          } else entries.push({ breadcrumb: ['properties', name], metadata: { selected: true } });
        }
      }
      stream.metadata = entries;
      return stream;
    }),
  };
}

const SECRET_NAME = /pass(word)?|secret|token|api[_-]?key|private[_-]?key|credential/i;

/**
 * A Singer connector's settings as a spec. Meltano SDK connectors describe theirs (`--about`), with
 * `secret: true` on secrets; for others every setting is allowed and settings whose names look
 * secret (password, token, api_key...) are treated as secret.
 */
export function specFromAbout(about: JsonObject | undefined, name: string): ConnectorSpecification {
  const settings = about?.settings;
  if (settings && typeof settings === 'object' && !Array.isArray(settings)) {
    return {
      documentationUrl: `https://pypi.org/project/${name}/`,
      connectionSpecification: { ...(settings as JsonObject), additionalProperties: true },
    };
  }
  return {
    documentationUrl: `https://pypi.org/project/${name}/`,
    connectionSpecification: { type: 'object', additionalProperties: true },
  };
}

/** Config values under names that look secret, at any depth: masked whatever the spec says. */
export function secretLookingValues(config: unknown, found: string[] = []): string[] {
  if (Array.isArray(config)) for (const item of config) secretLookingValues(item, found);
  else if (config && typeof config === 'object') {
    for (const [key, value] of Object.entries(config)) {
      if (SECRET_NAME.test(key) && (typeof value === 'string' || typeof value === 'number'))
        found.push(String(value));
      else secretLookingValues(value, found);
    }
  }
  return found;
}
