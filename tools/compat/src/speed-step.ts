// Step "speed": one manifest of the harness's own (cursor pagination, pages of 1,000 records of a
// few fields) read by both engines in the same run from a mock whose pages are rendered before the
// clock starts, so the mock is never the bottleneck. Records per second is records / wall time from
// spawn to exit of `read`; the outputs are compared by count and an order-independent checksum.

import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { HarnessOptions } from './diff-step.js';
import { type Engine, runEngine } from './engines.js';
import { canonicalJson } from './normalize.js';

export const SPEED_PAGE_SIZE = 1000;

export interface EngineSpeed {
  seconds: number;
  records: number;
  recordsPerSecond: number;
  checksum: string;
  /** peak resident memory of the engine process, from /usr/bin/time */
  peakRssMiB?: number;
  error?: string;
}

export interface SpeedResult {
  records: number;
  /** the pairs, run reference then ours, after one warm-up of each */
  pairs: { reference: EngineSpeed; ours: EngineSpeed; ratio: number }[];
  /** median of the pairs' ratios (ours records/s ÷ reference records/s), with min and max */
  ratio: { median: number; min: number; max: number };
  /** ours against ours, run the same way: how noisy the machine was (1.0 is quiet) */
  control: number;
  /** the median pair's figures */
  reference: EngineSpeed;
  ours: EngineSpeed;
  identical: boolean;
}

const PAIRS = 3;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Runs the engine under /usr/bin/time (when the machine has it) to learn its peak memory. */
function measured(engine: Engine): Engine {
  return existsSync('/usr/bin/time')
    ? { ...engine, command: ['/usr/bin/time', '-f', 'compat-maxrss-kb=%M', ...engine.command] }
    : engine;
}

/** The pages of the speed API: page n (from 1) holds ids (n-1)*1000+1 onwards, and the next cursor. */
export function renderPages(total: number): Buffer[] {
  const pages: Buffer[] = [];
  const count = Math.ceil(total / SPEED_PAGE_SIZE);
  for (let page = 1; page <= count; page++) {
    const data = [];
    const first = (page - 1) * SPEED_PAGE_SIZE + 1;
    for (let id = first; id < first + SPEED_PAGE_SIZE && id <= total; id++) {
      data.push({
        id,
        name: `user ${id}`,
        email: `user${id}@example.com`,
        active: id % 3 !== 0,
        updated_at: `2024-01-${String((id % 28) + 1).padStart(2, '0')}T12:00:00Z`,
      });
    }
    pages.push(Buffer.from(JSON.stringify(page < count ? { data, next: String(page + 1) } : { data })));
  }
  return pages;
}

export function speedManifest(origin: string): string {
  return `${JSON.stringify(
    {
      version: '6.44.0',
      type: 'DeclarativeSource',
      check: { type: 'CheckStream', stream_names: ['users'] },
      streams: [
        {
          type: 'DeclarativeStream',
          name: 'users',
          primary_key: ['id'],
          retriever: {
            type: 'SimpleRetriever',
            requester: { type: 'HttpRequester', url_base: origin, path: '/users', http_method: 'GET' },
            record_selector: {
              type: 'RecordSelector',
              extractor: { type: 'DpathExtractor', field_path: ['data'] },
            },
            paginator: {
              type: 'DefaultPaginator',
              page_token_option: {
                type: 'RequestOption',
                inject_into: 'request_parameter',
                field_name: 'cursor',
              },
              pagination_strategy: {
                type: 'CursorPagination',
                cursor_value: '{{ response.next }}',
                stop_condition: '{{ not response.next }}',
              },
            },
          },
          schema_loader: {
            type: 'InlineSchemaLoader',
            schema: {
              type: 'object',
              properties: {
                id: { type: 'integer' },
                name: { type: 'string' },
                email: { type: 'string' },
                active: { type: 'boolean' },
                updated_at: { type: 'string', format: 'date-time' },
              },
            },
          },
        },
      ],
      spec: { type: 'Spec', connection_specification: { type: 'object', properties: {} } },
    },
    null,
    1,
  )}\n`;
}

/** Count and order-independent checksum (sum of per-record hashes) of the RECORD lines in a file. */
export async function recordChecksum(file: string): Promise<{ records: number; checksum: string }> {
  let records = 0;
  let sum = 0n;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (!line.includes('"RECORD"')) continue;
    const message = JSON.parse(line) as { type?: string; record?: { data?: unknown } };
    if (message.type !== 'RECORD') continue;
    records++;
    sum += createHash('sha1').update(canonicalJson(message.record?.data)).digest().readBigUInt64LE(0);
  }
  return { records, checksum: (sum & 0xffffffffffffffffn).toString(16) };
}

async function timeRead(
  engine: Engine,
  dir: string,
  manifestPath: string,
  timeoutMs: number,
): Promise<EngineSpeed> {
  const configPath = join(dir, 'config.json');
  const catalogPath = join(dir, 'catalog.json');
  const outFile = join(dir, `${engine.name}.out.jsonl`);
  const run = await runEngine(measured(engine), {
    args: ['read', '--config', configPath, '--catalog', catalogPath, '--manifest-path', manifestPath],
    timeoutMs,
    stdoutFile: outFile,
  });
  const seconds = run.ms / 1000;
  const { records, checksum } = await recordChecksum(outFile);
  const rss = /compat-maxrss-kb=(\d+)/.exec(run.stderr)?.[1];
  return {
    seconds,
    records,
    recordsPerSecond: records / seconds,
    checksum,
    ...(rss ? { peakRssMiB: Math.round(Number(rss) / 1024) } : {}),
    ...(run.error || run.code !== 0 ? { error: run.error ?? `exit ${run.code}` } : {}),
  };
}

export async function speedRun(options: HarnessOptions & { records: number }): Promise<SpeedResult> {
  const dir = join(options.outDir, 'speed');
  mkdirSync(dir, { recursive: true });
  options.log(`speed: rendering ${options.records} records in pages of ${SPEED_PAGE_SIZE}`);
  const pages = renderPages(options.records);
  const server = createServer((req, res) => {
    const cursor = Number(new URL(req.url ?? '/', 'http://127.0.0.1').searchParams.get('cursor') ?? '1');
    const page = pages[cursor - 1];
    res.writeHead(page ? 200 : 404, { 'content-type': 'application/json' });
    res.end(page ?? '{}');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const manifestPath = join(dir, 'manifest.yaml');
    writeFileSync(manifestPath, speedManifest(origin));
    writeFileSync(join(dir, 'config.json'), '{}\n');
    const stream = {
      name: 'users',
      json_schema: {},
      supported_sync_modes: ['full_refresh'],
    };
    writeFileSync(
      join(dir, 'catalog.json'),
      `${JSON.stringify({ streams: [{ stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] })}\n`,
    );
    const timeoutMs = Math.max(options.timeoutMs, 1_800_000);
    const read = (engine: Engine) => timeRead(engine, dir, manifestPath, timeoutMs);
    options.log('speed: warming up both engines');
    await read(options.reference);
    await read(options.ours);
    const pairs: SpeedResult['pairs'] = [];
    for (let i = 1; i <= PAIRS; i++) {
      const reference = await read(options.reference);
      const ours = await read(options.ours);
      const ratio = ours.recordsPerSecond / reference.recordsPerSecond;
      options.log(
        `speed: pair ${i}: reference ${Math.round(reference.recordsPerSecond)} records/s, ours ${Math.round(ours.recordsPerSecond)} records/s, ratio ${ratio.toFixed(2)}`,
      );
      pairs.push({ reference, ours, ratio });
    }
    const controlA = await read(options.ours);
    const controlB = await read(options.ours);
    const ratios = pairs.map((p) => p.ratio);
    const middle = pairs.find((p) => p.ratio === median(ratios))!;
    const identical = pairs.every(
      ({ reference, ours }) =>
        !reference.error &&
        !ours.error &&
        reference.records === options.records &&
        ours.records === reference.records &&
        ours.checksum === reference.checksum,
    );
    return {
      records: options.records,
      pairs,
      ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
      control: controlB.recordsPerSecond / controlA.recordsPerSecond,
      reference: middle.reference,
      ours: middle.ours,
      identical,
    };
  } finally {
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  }
}
