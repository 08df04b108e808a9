// The kit's output: a table per suite for a terminal, JUnit XML for CI.

import type { KitReport } from './kit.js';

const MARK = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;

export function formatReport(report: KitReport): string {
  const lines = [`${report.connector}  (${report.acceptanceFile}, seed ${report.seed})`];
  let suite = '';
  for (const r of report.results) {
    if (r.suite !== suite) {
      suite = r.suite;
      lines.push('', `  ${suite}`);
    }
    const time = r.ms >= 1000 ? `${(r.ms / 1000).toFixed(1)} s` : `${r.ms} ms`;
    lines.push(`    ${MARK[r.status]}  ${r.name}  (${time})`);
    if (r.status !== 'passed' || r.message) lines.push(`          ${r.message}`);
  }
  const count = (s: string) => report.results.filter((r) => r.status === s).length;
  lines.push(
    '',
    `${report.passed ? 'PASSED' : 'FAILED'}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped in ${(report.ms / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

/** Characters XML 1.0 does not allow (ANSI escapes from a connector's stderr, say) are dropped. */
function xmlSafe(text: string): string {
  let out = '';
  for (const c of text) {
    const n = c.charCodeAt(0);
    if (n >= 0x20 || n === 0x09 || n === 0x0a || n === 0x0d) out += c;
  }
  return out;
}

const xml = (s: string) =>
  xmlSafe(s).replace(
    /[<>&"']/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

export function junitReport(reports: KitReport[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<testsuites>'];
  for (const report of reports) {
    const suites = [...new Set(report.results.map((r) => r.suite))];
    for (const suite of suites) {
      const cases = report.results.filter((r) => r.suite === suite);
      const failures = cases.filter((c) => c.status === 'failed').length;
      const skipped = cases.filter((c) => c.status === 'skipped').length;
      const time = cases.reduce((t, c) => t + c.ms, 0) / 1000;
      out.push(
        `  <testsuite name="${xml(`${report.connector} ${suite}`)}" tests="${cases.length}" failures="${failures}" skipped="${skipped}" time="${time}">`,
      );
      for (const c of cases) {
        out.push(
          `    <testcase classname="${xml(`${report.connector}.${suite}`)}" name="${xml(c.name)}" time="${c.ms / 1000}">`,
        );
        if (c.status === 'failed') out.push(`      <failure message="${xml(c.message)}"/>`);
        if (c.status === 'skipped') out.push(`      <skipped message="${xml(c.message)}"/>`);
        out.push('    </testcase>');
      }
      out.push('  </testsuite>');
    }
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
