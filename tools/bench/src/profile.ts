// `--profile a|b`: one Conveyor run under `node --cpu-prof`, then the functions with the most
// self time. Time the main thread spends inside DuckDB's native calls shows as the JS frame that
// made the call (or "(program)"); work on DuckDB's own threads does not show at all.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './checked-runs.js';
import { runConveyor } from './conveyor-run.js';
import { prepareInput } from './passthrough.js';
import { fixed, integer, markdownTable } from './report.js';
import { writeSourceScript } from './source-script.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  location: string;
  selfMs: number;
  share: number;
}

/** Self time per function (summed over every node of the same function and location). */
export function topFunctions(profile: CpuProfile, limit: number): FunctionTime[] {
  const byNode = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, FunctionTime>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0;
    all += micros;
    const frame = byNode.get(id)?.callFrame;
    if (!frame) return;
    const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '');
    const location = file ? `${file.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName}\u0000${location}`;
    const entry = totals.get(key) ?? {
      name: frame.functionName || '(anonymous)',
      location,
      selfMs: 0,
      share: 0,
    };
    entry.selfMs += micros / 1000;
    totals.set(key, entry);
  });
  return [...totals.values()]
    .map((entry) => ({ ...entry, share: all > 0 ? (entry.selfMs * 1000) / all : 0 }))
    .sort((a, b) => b.selfMs - a.selfMs)
    .slice(0, limit);
}

export async function profileRun(ctx: BenchContext, which: 'a' | 'b', count: number): Promise<string> {
  const dir = join(ctx.outDir, 'profiles', which);
  const source =
    which === 'a'
      ? {
          connector: `exec:${writeSourceScript(ctx.outDir)}`,
          config: { path: prepareInput(ctx, count).recordsFile },
        }
      : { connector: 'faker', config: { count, seed: 1 } };
  ctx.log(`profiling one (${which}) run of ${integer(count)} records`);
  const run = await runConveyor(dir, source, ['--cpu-prof', '--cpu-prof-dir', join(dir, 'cpu')]);
  const file = readdirSync(join(dir, 'cpu')).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`node --cpu-prof wrote no profile in ${join(dir, 'cpu')}`);
  const profile = JSON.parse(readFileSync(join(dir, 'cpu', file), 'utf8')) as CpuProfile;
  const top = topFunctions(profile, 20);
  return [
    `### Profile of one (${which}) run, ${integer(count)} records: ${fixed(run.seconds, 2)} s wall`,
    '',
    `Main thread of the \`conveyor sync\` process, self time. Profile: ${join(dir, 'cpu', file)}`,
    '',
    markdownTable(
      ['function', 'where', 'self ms', 'share'],
      top.map((f) => [`\`${f.name}\``, f.location, fixed(f.selfMs, 0), `${fixed(f.share * 100, 1)}%`]),
    ),
  ].join('\n');
}
