// Markdown output: tables a reader can paste into the README, and the number formats they use.

import type { Environment } from './environment.js';
import type { Spread } from './stats.js';

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function integer(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

/** `1.83 (1.75–1.92)`: median with min and max. */
export function spread(value: Spread, format: (n: number) => string): string {
  return `${format(value.median)} (${format(value.min)}–${format(value.max)})`;
}

/** `1M`, `250k`: record counts in headings. */
export function shortCount(count: number): string {
  if (count >= 1_000_000 && count % 1_000_000 === 0) return `${count / 1_000_000}M`;
  if (count >= 1_000 && count % 1_000 === 0) return `${count / 1_000}k`;
  return integer(count);
}

export function environmentSection(env: Environment, command: string): string {
  const versions = Object.entries(env.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  return [
    `- Date: ${env.date}`,
    `- Machine: ${env.cores} cores (${env.cpuModel}), ${env.memoryGiB.toFixed(1)} GiB memory, Linux ${env.kernel}`,
    `- Versions: Node ${env.node}, DuckDB ${env.duckdb}; ${versions}; commit ${env.commit}`,
    `- Peak RSS measured with: ${env.peakRss}`,
    `- Reproduce: \`${command}\``,
  ].join('\n');
}
