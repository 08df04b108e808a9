#!/usr/bin/env node
// Writes a connector's README.md from what the connector itself says: `spec` (config fields) and,
// for sources, `discover` with the first config of acceptance.yml (streams). Run it in a package
// (`npm run docs`) after changing the spec; the generator runs it once at creation.
//   node tools/generators/docs-from-spec.mjs connectors/source-x

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readAcceptanceFile, resolveConnector, runCommand } from '@conveyor/testing';

const dir = resolve(process.argv[2] ?? '.');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const connector = resolveConnector(dir, dir);
const message = (run, type) => run.messages.find((m) => m.type === type);

const specRun = await runCommand(connector, ['spec']);
const spec = message(specRun, 'SPEC')?.spec;
if (!spec) {
  console.error(
    `${pkg.name}: \`spec\` printed no SPEC message (exit ${specRun.exitCode}); build it first (npm run build).`,
  );
  process.exit(1);
}
const schema = spec.connectionSpecification ?? {};
const required = new Set(schema.required ?? []);
const cell = (text) =>
  String(text ?? '')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');
const rows = Object.entries(schema.properties ?? {})
  .sort(([, a], [, b]) => (a.order ?? 99) - (b.order ?? 99))
  .map(([name, field]) => {
    const type = Array.isArray(field.type) ? field.type.join(' or ') : (field.type ?? 'any');
    const notes = [
      required.has(name) ? 'required' : 'optional',
      field.airbyte_secret ? 'secret' : '',
      field.default !== undefined ? `default \`${JSON.stringify(field.default)}\`` : '',
    ].filter(Boolean);
    return `| \`${name}\` | ${type} | ${notes.join(', ')} | ${cell(field.description ?? field.title)} |`;
  });

let streams = [];
const acceptanceFile = join(dir, 'acceptance.yml');
if (pkg.conveyor?.kind === 'source' && existsSync(acceptanceFile)) {
  const acceptance = readAcceptanceFile(acceptanceFile);
  const run = await runCommand(connector, ['discover'], { config: acceptance.configs[0]?.config ?? {} });
  streams = message(run, 'CATALOG')?.catalog.streams ?? [];
}

const lines = [
  `# ${pkg.name}`,
  '',
  `${pkg.description ?? ''}`,
  '',
  `Documentation: ${spec.documentationUrl ?? pkg.conveyor?.documentationUrl ?? '(none)'}`,
  '',
  '## Config',
  '',
  '| field | type | | description |',
  '|---|---|---|---|',
  ...rows,
  '',
];
if (streams.length) {
  lines.push('## Streams', '', '| stream | sync modes | primary key | cursor |', '|---|---|---|---|');
  for (const s of streams) {
    const path = (p) => (p ?? []).map((k) => (Array.isArray(k) ? k.join('.') : k)).join(', ');
    lines.push(
      `| \`${s.name}\` | ${(s.supported_sync_modes ?? []).join(', ')} | ${path(s.source_defined_primary_key)} | ${path(s.default_cursor_field ? [s.default_cursor_field] : [])} |`,
    );
  }
  lines.push('');
}
lines.push(
  '## Develop',
  '',
  existsSync(acceptanceFile)
    ? `- \`npx conveyor test ${join('connectors', pkg.name.split('/')[1])}\`: the acceptance tests from \`acceptance.yml\` (also \`npm test\` here).`
    : '- `npm test`: the tests in `test/` (the SQL connectors run against a throwaway database on the local PostgreSQL, or `CONVEYOR_TEST_PG_URL`).',
  '- `npm run docs`: this page again, from the spec.',
  '- `npx changeset`: describe a change for the next release.',
  '',
  "(This page is generated from the connector's spec; edit the spec, not the table.)",
  '',
);
writeFileSync(join(dir, 'README.md'), lines.join('\n'));
console.log(`wrote ${join(dir, 'README.md')}`);
