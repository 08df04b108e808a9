import type { ConfiguredCatalog } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { BoundedChannel } from '../src/channel.js';
import { launchSource } from '../src/connector-ref.js';
import { CONTAINER_FILES, dockerCommandLine, parseImage } from '../src/ecosystems/docker.js';
import { explainInstallFailure, parseRequirement } from '../src/ecosystems/python-env.js';
import { commitMarker, durableCommit, parseSingerReference } from '../src/ecosystems/singer.js';
import {
  type SingerCatalog,
  secretLookingValues,
  selectStreams,
  specFromAbout,
  toCatalog,
} from '../src/ecosystems/singer-catalog.js';

const singer: SingerCatalog = {
  streams: [
    {
      tap_stream_id: 'public-orders',
      stream: 'orders',
      schema: { type: 'object', properties: { id: { type: 'integer' }, updated: { type: 'string' } } },
      metadata: [
        { breadcrumb: [], metadata: { 'table-key-properties': ['id'], 'schema-name': 'public' } },
        { breadcrumb: ['properties', 'id'], metadata: { inclusion: 'automatic' } },
      ],
    },
    {
      tap_stream_id: 'events',
      schema: { type: 'object', properties: { at: { type: 'string' } } },
      key_properties: [],
      replication_key: 'at',
    },
    {
      tap_stream_id: 'lookup',
      schema: { type: 'object', properties: { code: { type: 'string' } } },
      metadata: [{ breadcrumb: [], metadata: { 'forced-replication-method': 'FULL_TABLE' } }],
    },
  ],
};

describe('Singer catalogs as protocol catalogs', () => {
  it('names streams by tap_stream_id, with keys, source-defined cursors and user-chosen ones', () => {
    const streams = Object.fromEntries(toCatalog(singer, ['state']).streams.map((s) => [s.name, s]));
    // a SQL tap names no replication key but keeps state: the user picks the cursor
    expect(streams['public-orders']).toMatchObject({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_primary_key: [['id']],
    });
    expect(streams['public-orders']!.source_defined_cursor).toBeUndefined();
    expect(streams.events).toMatchObject({ source_defined_cursor: true, default_cursor_field: ['at'] });
    expect(streams.lookup!.supported_sync_modes).toEqual(['full_refresh']);
    // without the state capability, a stream with no replication key can only be read in full
    expect(toCatalog(singer).streams[0]!.supported_sync_modes).toEqual(['full_refresh']);
  });

  it('selects the configured streams and all their properties, with method and key', () => {
    const configured: ConfiguredCatalog = {
      streams: [
        {
          stream: { name: 'public-orders', json_schema: {}, supported_sync_modes: ['incremental'] },
          sync_mode: 'incremental',
          cursor_field: ['updated'],
          destination_sync_mode: 'append',
        },
        {
          stream: { name: 'events', json_schema: {}, supported_sync_modes: ['full_refresh'] },
          sync_mode: 'full_refresh',
          destination_sync_mode: 'overwrite',
        },
      ],
    };
    const selected = selectStreams(singer, configured);
    const top = (i: number) =>
      selected.streams[i]!.metadata!.find((m) => m.breadcrumb.length === 0)!.metadata;
    expect(top(0)).toMatchObject({
      selected: true,
      'replication-method': 'INCREMENTAL',
      'replication-key': 'updated',
    });
    expect(selected.streams[0]!.metadata!.filter((m) => m.breadcrumb.length === 2)).toEqual([
      { breadcrumb: ['properties', 'id'], metadata: { inclusion: 'automatic', selected: true } },
      { breadcrumb: ['properties', 'updated'], metadata: { selected: true } },
    ]);
    expect(top(1)).toMatchObject({ selected: true, 'replication-method': 'FULL_TABLE' });
    expect(top(2)).toEqual({ 'forced-replication-method': 'FULL_TABLE', selected: false });
    // the discovered catalog itself is left as it was
    expect(singer.streams[1]!.metadata).toBeUndefined();
  });

  it('masks SDK settings marked secret, and settings whose names look secret for other taps', () => {
    const spec = specFromAbout(
      { settings: { type: 'object', properties: { password: { type: 'string', secret: true } } } },
      'tap-x',
    );
    expect(spec.connectionSpecification.additionalProperties).toBe(true);
    expect(
      secretLookingValues({ host: 'db', auth: { api_key: 'k-123', user: 'me' }, client_secret: 'cs-9' }),
    ).toEqual(['k-123', 'cs-9']);
  });
});

describe('Singer targets: when an echoed state proves a commit durable', () => {
  it('a target that echoes the whole state proves the commit for every stream', () => {
    expect(durableCommit(commitMarker(3, ['a', 'b']), new Set(['a', 'b']))).toBe(3);
  });

  it('a target that flushed one stream proves only the older commit the other one shows', () => {
    // pipelinewise targets advance bookmarks only for the streams they flushed
    const echoed = {
      conveyor_commit: 3,
      bookmarks: { a: { conveyor_commit: 3 }, b: { conveyor_commit: 1 } },
    };
    expect(durableCommit(echoed, new Set(['a', 'b']))).toBe(1);
    expect(durableCommit(echoed, new Set(['a']))).toBe(3);
    expect(
      durableCommit({ conveyor_commit: 3, bookmarks: { a: { conveyor_commit: 3 } } }, new Set(['a', 'b'])),
    ).toBe(undefined);
  });

  it('anything else proves nothing', () => {
    for (const echoed of [null, 'x', {}, { bookmarks: {} }, { conveyor_commit: '3' }])
      expect(durableCommit(echoed, new Set(['a']))).toBeUndefined();
  });
});

describe('references', () => {
  it('reads package, version and executable, and refuses anything pip would read as more', () => {
    expect(parseSingerReference('tap-jsonl')).toEqual({ name: 'tap-jsonl', executable: 'tap-jsonl' });
    expect(parseSingerReference('meltanolabs-tap-postgres==0.10.0:tap-postgres')).toEqual({
      name: 'meltanolabs-tap-postgres',
      version: '0.10.0',
      executable: 'tap-postgres',
    });
    expect(parseRequirement('source-faker==7.2.1', 'airbyte:')).toEqual({
      name: 'source-faker',
      version: '7.2.1',
    });
    for (const bad of ['source-faker>=7', 'x; rm -rf /', '--index-url=http://evil', 'a b'])
      expect(() => parseRequirement(bad, 'airbyte:')).toThrow(/not a airbyte: reference/);
    expect(() => parseSingerReference('a:b:c')).toThrow(/singer:<package>/);
    expect(() => parseSingerReference('tap-x:../../bin/sh')).toThrow(/singer:<package>/);
  });

  it('an airbyte: destination must be named destination-*', async () => {
    await expect(launchSource('airbyte:destination-duckdb', { cwd: '.' })).rejects.toThrow(
      /used as a source, but its name does not start with "source-"/,
    );
  });
});

describe('docker: images', () => {
  it('mounts the config, catalog and state read-only and names them inside the container', () => {
    const options = { name: 'conveyor-1-ab', localDir: '/tmp/airbyte_local' };
    const line = dockerCommandLine(
      'airbyte/source-postgres:3.6.2',
      [
        'read',
        '--config',
        '/tmp/conveyor-ab/config.json',
        '--catalog',
        '/tmp/conveyor-ab/catalog.json',
        '--state',
        '/tmp/conveyor-ab/state.json',
      ],
      options,
    );
    expect(line).toEqual({
      file: 'docker',
      args: [
        'run',
        '--rm',
        '--interactive',
        '--init',
        '--name',
        'conveyor-1-ab',
        '--network',
        'host',
        '--volume',
        '/tmp/airbyte_local:/local',
        '--volume',
        `/tmp/conveyor-ab:${CONTAINER_FILES}:ro`,
        'airbyte/source-postgres:3.6.2',
        'read',
        '--config',
        `${CONTAINER_FILES}/config.json`,
        '--catalog',
        `${CONTAINER_FILES}/catalog.json`,
        '--state',
        `${CONTAINER_FILES}/state.json`,
      ],
    });
    expect(dockerCommandLine('img:1', ['spec'], options).args).toEqual([
      'run',
      '--rm',
      '--interactive',
      '--init',
      '--name',
      'conveyor-1-ab',
      '--network',
      'host',
      '--volume',
      '/tmp/airbyte_local:/local',
      'img:1',
      'spec',
    ]);
  });

  it('refuses an image without a tag', () => {
    expect(parseImage('localhost:5000/team/source-x:1.0')).toBe('localhost:5000/team/source-x:1.0');
    expect(() => parseImage('airbyte/source-postgres')).toThrow(/needs an image with a tag/);
    expect(() => parseImage('localhost:5000/source-x')).toThrow(/needs an image with a tag/);
  });

  it('without a Docker engine, launching says so (the live run is not tested on these machines)', async () => {
    await expect(launchSource('docker:airbyte/source-faker:6.2.0', { cwd: '.' })).rejects.toThrow(
      /docker: connectors need a (running )?Docker engine/,
    );
  });
});

describe('install failures', () => {
  it('no network: a transient error, even though pip also says no distribution was found', () => {
    const error = explainInstallFailure(
      'tap-x',
      '3.11.7',
      [
        "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object>: Failed to establish a new connection: [Errno -3] Temporary failure in name resolution')': /simple/tap-x/",
        'ERROR: Could not find a version that satisfies the requirement tap-x (from versions: none)',
        'ERROR: No matching distribution found for tap-x',
      ],
      1,
    );
    expect(error.message).toMatch(/PyPI could not be reached/);
    expect((error as { failureType?: string }).failureType).toBe('transient_error');
  });

  it('a build failure is not blamed on the Python version', () => {
    const error = explainInstallFailure(
      'tap-y',
      '3.11.7',
      [
        "Ignoring importlib-metadata: markers 'python_version < \"3.8\"' don't match your environment",
        'error: command gcc failed with exit code 1',
        'ERROR: Failed building wheel for psycopg2',
      ],
      1,
    );
    expect(error.message).toMatch(/^Installing tap-y failed \(installer exited with code 1\)/);
  });

  // what pip printed here for each case
  it('an incompatible Python', () => {
    const error = explainInstallFailure(
      'airbyte-source-faker==7.2.1',
      '3.8.18',
      [
        'ERROR: Ignored the following versions that require a different python version: 6.0.2 Requires-Python >=3.9,<3.12; 6.2.0 Requires-Python <4.0,>=3.9; 7.2.1 Requires-Python <3.13,>=3.10; 7.2.0rc1 Requires-Python <3.13,>=3.10',
        'ERROR: Could not find a version that satisfies the requirement airbyte-source-faker==7.2.1 (from versions: 4.0.0, 6.0.0, 6.0.1)',
        'ERROR: No matching distribution found for airbyte-source-faker==7.2.1',
      ],
      1,
    );
    expect(error.message).toBe(
      'airbyte-source-faker==7.2.1 cannot be installed on Python 3.8.18: it needs Python <3.13,>=3.10. Point CONVEYOR_PYTHON at a Python it supports.',
    );
  });

  it('a missing package and a missing version', () => {
    const missing = explainInstallFailure(
      'airbyte-source-nope',
      '3.11.7',
      [
        'ERROR: Could not find a version that satisfies the requirement airbyte-source-nope (from versions: none)',
        'ERROR: No matching distribution found for airbyte-source-nope',
      ],
      1,
    );
    expect(missing.message).toMatch(/airbyte-source-nope was not found on PyPI/);
    const version = explainInstallFailure(
      'tap-jsonl==9.9',
      '3.11.7',
      [
        'ERROR: Could not find a version that satisfies the requirement tap-jsonl==9.9 (from versions: 0.1.0, 0.2.0, 0.3.0, 0.3.1)',
        'ERROR: No matching distribution found for tap-jsonl==9.9',
      ],
      1,
    );
    expect(version.message).toMatch(
      /no such version on PyPI\. Newest versions: 0\.1\.0, 0\.2\.0, 0\.3\.0, 0\.3\.1/,
    );
  });
});

describe('the channel between source and destination', () => {
  it('delivers what a failed source sent before the failure, then the failure', async () => {
    const channel = new BoundedChannel<number>(4);
    await channel.push(1);
    await channel.push(2);
    channel.failAfterDrain(new Error('source died'));
    expect(await channel.pull()).toBe(1);
    expect(await channel.pull()).toBe(2);
    await expect(channel.pull()).rejects.toThrow('source died');
  });

  it('a destination failure ends it at once', async () => {
    const channel = new BoundedChannel<number>(4);
    await channel.push(1);
    channel.fail(new Error('destination died'));
    await expect(channel.pull()).rejects.toThrow('destination died');
    await expect(channel.push(2)).rejects.toThrow('destination died');
  });
});
