// Per-stream statistics while a sync runs, shown live on a terminal (redrawn in place) or as plain
// log lines every few seconds otherwise.

import type { StreamRunStats } from './state-store.js';

export class StreamStats {
  records = 0;
  bytes = 0;
  status = 'pending';
  estimate: number | undefined;
  /** set when the stream's first status or record arrives, so queued streams don't count waiting time */
  startedAt: number | undefined;
  endedAt: number | undefined;
  constructor(readonly stream: string) {}

  start(): void {
    this.startedAt ??= Date.now();
  }

  seconds(now = Date.now()): number {
    return this.startedAt === undefined ? 0 : ((this.endedAt ?? now) - this.startedAt) / 1000;
  }

  snapshot(): StreamRunStats {
    return {
      stream: this.stream,
      records: this.records,
      bytes: this.bytes,
      seconds: Math.round(this.seconds() * 1000) / 1000,
      status: this.status,
    };
  }
}

export interface ProgressSink {
  update(stats: readonly StreamStats[]): void;
  done(stats: readonly StreamStats[]): void;
}

function rate(s: StreamStats): string {
  const secs = s.seconds();
  return secs > 0 ? `${Math.round(s.records / secs).toLocaleString('en-US')} rec/s` : '';
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function line(s: StreamStats): string {
  const of = s.estimate ? ` of ${s.estimate.toLocaleString('en-US')}` : '';
  return `${s.stream}: ${s.records.toLocaleString('en-US')}${of} records, ${mb(s.bytes)}, ${rate(s)} [${s.status}]`;
}

/** Redraws one line per stream in place on a TTY, at most every 200 ms. */
export class TerminalProgress implements ProgressSink {
  private drawn = 0;
  private last = 0;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(stats: readonly StreamStats[]): void {
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    this.draw(stats);
  }

  done(stats: readonly StreamStats[]): void {
    this.draw(stats);
  }

  private draw(stats: readonly StreamStats[]): void {
    const cols = this.out.columns ?? 120;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const s of stats) text += `\x1b[2K${line(s).slice(0, cols - 1)}\n`;
    this.drawn = stats.length;
    this.out.write(text);
  }
}

/** Plain lines, every `everyMs`, for logs and CI. */
export class LogProgress implements ProgressSink {
  private last = Date.now();
  constructor(
    private readonly write: (line: string) => void,
    private readonly everyMs = 10_000,
  ) {}

  update(stats: readonly StreamStats[]): void {
    const now = Date.now();
    if (now - this.last < this.everyMs) return;
    this.last = now;
    for (const s of stats) if (s.status !== 'pending') this.write(`progress ${line(s)}`);
  }

  done(): void {}
}

export function summaryTable(stats: readonly StreamRunStats[]): string {
  const rows = stats.map((s) => [
    s.stream,
    s.records.toLocaleString('en-US'),
    mb(s.bytes),
    `${s.seconds.toFixed(1)} s`,
    s.seconds > 0 ? `${Math.round(s.records / s.seconds).toLocaleString('en-US')} rec/s` : '',
    s.status,
  ]);
  const header = ['stream', 'records', 'bytes', 'time', 'rate', 'status'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [fmt(header), ...rows.map(fmt)].join('\n');
}
