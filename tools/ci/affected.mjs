#!/usr/bin/env node
// Runs a turbo task only for the projects nx says a change affects.
//   node tools/ci/affected.mjs [--base REF] [--head REF] [--task test] [--list]
// nx owns the project graph (package-based, from the npm workspaces) and the affected computation;
// turbo runs the task with its cache and dependsOn pipeline.

import { execFileSync, spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const base = opt('base', process.env.NX_BASE ?? 'main');
const head = opt('head', process.env.NX_HEAD ?? 'HEAD');
const task = opt('task', 'test');

const out = execFileSync(
  'npx',
  ['nx', 'show', 'projects', '--affected', `--base=${base}`, `--head=${head}`, '--json'],
  {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const projects = JSON.parse(out);
if (args.includes('--list')) {
  for (const p of projects) console.log(p);
  process.exit(0);
}
if (projects.length === 0) {
  console.log(`No project is affected between ${base} and ${head}: nothing to ${task}.`);
  process.exit(0);
}
console.log(`Affected (${projects.length}): ${projects.join(', ')}`);
const result = spawnSync(
  'npx',
  ['turbo', 'run', task, '--concurrency=1', ...projects.map((p) => `--filter=${p}`)],
  {
    stdio: 'inherit',
  },
);
process.exit(result.status ?? 1);
