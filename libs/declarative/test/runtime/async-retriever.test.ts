// AsyncRetriever against a scripted reporting API: a job per slice is created, polled until done,
// downloaded from the URL the API gives, then deleted; failed jobs are started again; statuses the
// manifest does not map are an error that names them.

import type { SourceOutput } from '@conveyor/cdk';
import { type HttpRequest, scriptedTransport } from '@conveyor/http';
import type { ConfiguredCatalog, JsonObject } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { DeclarativeSource, parseManifest } from '../../src/index.js';
import type { AsyncJobTiming } from '../../src/runtime/async-jobs.js';
import { ctx } from './read-context.js';

/** Time that passes only when the engine waits: polls and timeouts without real sleeping. */
function fakeTiming(): AsyncJobTiming & { waited: number[] } {
  let now = 0;
  const waited: number[] = [];
  return {
    pollIntervalMs: 5000,
    waited,
    now: () => now,
    sleep: async (ms) => {
      waited.push(ms);
      now += ms;
    },
  };
}

const catalog: ConfiguredCatalog = {
  streams: [
    {
      stream: { name: 'report', json_schema: {}, supported_sync_modes: ['full_refresh'] },
      sync_mode: 'full_refresh',
      destination_sync_mode: 'append',
    },
  ],
};

async function records(out: AsyncIterable<SourceOutput>) {
  const all: JsonObject[] = [];
  for await (const item of out)
    if (item.kind === 'records' && item.batch.format === 'objects') all.push(...item.batch.records);
  return all;
}

const MANIFEST = (extra = '') => `
version: 6.0.0
type: DeclarativeSource
check: { type: CheckStream, stream_names: [report] }
definitions:
  api: &api
    type: HttpRequester
    url_base: https://api.example.com
streams:
  - type: DeclarativeStream
    name: report
    schema_loader: { type: InlineSchemaLoader, schema: { type: object } }
    transformations:
      - type: AddFields
        fields: [{ path: [account], value: "{{ stream_slice.account }}" }]
    retriever:
      type: AsyncRetriever
      partition_router:
        type: ListPartitionRouter
        cursor_field: account
        values: [a1, a2]
      record_selector:
        type: RecordSelector
        extractor: { type: DpathExtractor, field_path: [] }
        record_filter: { type: RecordFilter, condition: "{{ record.n != 0 }}" }
      status_mapping: { type: AsyncJobStatusMap, running: [PENDING], completed: [DONE], failed: [ERROR], timeout: [EXPIRED], skipped: [EMPTY] }
      status_extractor: { type: DpathExtractor, field_path: [status] }
      download_target_extractor: { type: DpathExtractor, field_path: [files] }
      creation_requester:
        <<: *api
        path: /reports
        http_method: POST
        request_headers: { Scope: "{{ stream_slice.account }}" }
        request_body_json: { account: "{{ stream_slice.account }}" }
      polling_requester:
        <<: *api
        path: "/reports/{{ creation_response['id'] }}"
        http_method: GET
        request_headers: { Scope: "{{ stream_slice.extra_fields['creation_response'].request.headers['Scope'] }}" }
      download_requester:
        type: HttpRequester
        url_base: ""
        path: "{{ download_target }}"
        http_method: GET
      delete_requester:
        <<: *api
        path: "/reports/{{ creation_response['id'] }}/delete"
        http_method: POST
${extra}
spec:
  type: Spec
  connection_specification: { type: object }
`;

/** A reporting API: report `id` goes through `statuses`, then lists one file per account. */
function reportingApi(statuses: Record<string, string[]>) {
  let created = 0;
  const polls: Record<string, number> = {};
  const accountOf: Record<string, string> = {};
  const log: string[] = [];
  const transport = scriptedTransport((request: HttpRequest) => {
    const url = new URL(request.url);
    log.push(
      `${request.method} ${url.host}${url.pathname}${request.headers.Scope ? ` scope=${request.headers.Scope}` : ''}`,
    );
    if (url.pathname === '/reports') {
      const id = `r${++created}`;
      accountOf[id] = (JSON.parse(String(request.body)) as { account: string }).account;
      return { json: { id } };
    }
    const id = url.pathname.split('/')[2]!;
    if (url.host === 'files.example.com') {
      const account = url.pathname.split('/')[1]!;
      return {
        json: [
          { n: 0 },
          { n: 1, file: url.pathname },
          { n: 2, file: url.pathname, account: `${account}-own` },
        ],
      };
    }
    if (url.pathname.endsWith('/delete')) return { json: {} };
    const sequence = statuses[id] ?? ['DONE'];
    const status = sequence[Math.min(polls[id] ?? 0, sequence.length - 1)]!;
    polls[id] = (polls[id] ?? 0) + 1;
    return {
      json: { status, files: status === 'DONE' ? [`https://files.example.com/${accountOf[id]}/part1`] : [] },
    };
  });
  return { transport, log };
}

describe('AsyncRetriever', () => {
  it('creates, polls (waiting between polls), downloads, filters and transforms, then deletes each slice’s job', async () => {
    const { transport, log } = reportingApi({ r1: ['PENDING', 'PENDING', 'DONE'] });
    const timing = fakeTiming();
    const source = new DeclarativeSource(parseManifest(MANIFEST()), { transport, asyncJobTiming: timing });
    const got = await records(source.read({}, catalog, [], ctx()));
    expect(got).toEqual([
      { n: 1, file: '/a1/part1', account: 'a1' },
      { n: 2, file: '/a1/part1', account: 'a1' },
      { n: 1, file: '/a2/part1', account: 'a2' },
      { n: 2, file: '/a2/part1', account: 'a2' },
    ]);
    expect(log).toEqual([
      'POST api.example.com/reports scope=a1',
      'GET api.example.com/reports/r1 scope=a1',
      'GET api.example.com/reports/r1 scope=a1',
      'GET api.example.com/reports/r1 scope=a1',
      'GET files.example.com/a1/part1',
      'POST api.example.com/reports/r1/delete',
      'POST api.example.com/reports scope=a2',
      'GET api.example.com/reports/r2 scope=a2',
      'GET files.example.com/a2/part1',
      'POST api.example.com/reports/r2/delete',
    ]);
    expect(timing.waited).toEqual([5000, 5000]);
  });

  it('starts a failed job again, and a skipped job gives no records', async () => {
    const { transport, log } = reportingApi({ r1: ['ERROR'], r3: ['EMPTY'] });
    const source = new DeclarativeSource(parseManifest(MANIFEST()), {
      transport,
      asyncJobTiming: fakeTiming(),
    });
    const got = await records(source.read({}, catalog, [], ctx()));
    expect(got.map((r) => r.account)).toEqual(['a1', 'a1']);
    expect(log.filter((l) => l.startsWith('POST api.example.com/reports scope'))).toEqual([
      'POST api.example.com/reports scope=a1',
      'POST api.example.com/reports scope=a1',
      'POST api.example.com/reports scope=a2',
    ]);
    expect(log.some((l) => l.includes('files.example.com/a2'))).toBe(false);
  });

  it('gives up after three failed attempts, naming the stream, the slice and the outcome', async () => {
    const { transport } = reportingApi({ r1: ['ERROR'], r2: ['ERROR'], r3: ['ERROR'] });
    const source = new DeclarativeSource(parseManifest(MANIFEST()), {
      transport,
      asyncJobTiming: fakeTiming(),
    });
    await expect(records(source.read({}, catalog, [], ctx()))).rejects.toThrow(
      /Stream "report": the API's job for \{"account":"a1"\} ended failed 3 times in a row/,
    );
  });

  it('counts a job running past polling_job_timeout as timed out, and starts it again', async () => {
    const { transport, log } = reportingApi({ r1: ['PENDING'] });
    const timing = fakeTiming();
    const source = new DeclarativeSource(parseManifest(MANIFEST('      polling_job_timeout: 1')), {
      transport,
      asyncJobTiming: timing,
    });
    const got = await records(source.read({}, catalog, [], ctx()));
    expect(got).toHaveLength(4);
    // one minute of 5 s polls for r1, then a fresh job
    expect(log.filter((l) => l.startsWith('GET api.example.com/reports/r1'))).toHaveLength(13);
    expect(log.filter((l) => l.startsWith('POST api.example.com/reports scope'))).toHaveLength(3);
  });

  it('says which status the manifest does not map', async () => {
    const { transport } = reportingApi({ r1: ['QUEUED'] });
    const source = new DeclarativeSource(parseManifest(MANIFEST()), {
      transport,
      asyncJobTiming: fakeTiming(),
    });
    await expect(records(source.read({}, catalog, [], ctx()))).rejects.toThrow(
      /the API reported the job status "QUEUED", which the manifest's status_mapping does not list \(PENDING, DONE, ERROR, EXPIRED, EMPTY\)/,
    );
  });
});
