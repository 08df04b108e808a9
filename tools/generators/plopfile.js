// `npx plop connector` (asks) or `npx plop connector <kind> <name> <template>` (does not ask):
// a new connector package under connectors/<kind>-<name>, linked into the workspace, built, with
// its docs page, acceptance tests that pass offline at once, and a first changeset.

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');

/** Templates per kind. */
const SQL = 'a database that speaks the PostgreSQL protocol, on the SQL family: configuration only';
const TEMPLATES = {
  source: {
    declarative:
      'a YAML manifest run by the declarative engine: an API key, cursor pagination, recorded fixtures',
    http: 'TypeScript on the CDK: a paginated, incremental REST API source with a recorded HTTP fixture',
    python: 'Python, standard library only: the same REST API source, run as an executable',
    sql: SQL,
  },
  destination: {
    destination: 'TypeScript on the CDK: a destination that commits batches durably before confirming states',
    sql: SQL,
  },
};
const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

function titleOf(name) {
  return name
    .split('-')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
}

/** One choice per template, naming the kinds that have it (sql: source, destination). */
function templateChoices() {
  const kinds = new Map();
  const descriptions = new Map();
  for (const [kind, templates] of Object.entries(TEMPLATES)) {
    for (const [value, description] of Object.entries(templates)) {
      kinds.set(value, [...(kinds.get(value) ?? []), kind]);
      descriptions.set(value, description);
    }
  }
  return [...kinds].map(([value, of]) => ({
    name: `${value} (${of.join(', ')}): ${descriptions.get(value)}`,
    value,
  }));
}

function run(command, args, cwd) {
  execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

export default function (plop) {
  plop.setActionType('shell', (answers, config) => {
    const cwd = join(ROOT, config.cwd ?? '.');
    try {
      run(config.command, config.args(answers), cwd);
    } catch (error) {
      const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
      throw new Error(`${config.what} failed:\n${output}`);
    }
    return config.what;
  });

  plop.setGenerator('connector', {
    description: 'a new connector package (source or destination)',
    prompts: [
      {
        type: 'list',
        name: 'kind',
        message: 'Kind',
        choices: ['source', 'destination'],
      },
      {
        type: 'input',
        name: 'name',
        message: 'Name (lowercase words with dashes, like acme-crm)',
        validate: (name, answers) => {
          if (!NAME.test(name))
            return `"${name}" is not a name: use lowercase letters, digits and dashes, like acme-crm`;
          const dir = join(ROOT, 'connectors', `${answers?.kind ?? 'source'}-${name}`);
          if (existsSync(dir)) return `${dir} already exists: pick another name`;
          return true;
        },
      },
      {
        type: 'list',
        name: 'template',
        message: 'Template',
        // one static list (plop's non-interactive arguments match against it); the kind is checked below
        choices: templateChoices(),
      },
    ],
    actions: (answers) => {
      const known = TEMPLATES[answers.kind] ?? {};
      if (!known[answers.template]) {
        throw new Error(
          `"${answers.template}" is not a ${answers.kind} template; ${answers.kind} templates: ${Object.keys(known).join(', ')}.`,
        );
      }
      const data = {
        ...answers,
        title: `${titleOf(answers.name)} ${answers.template === 'python' ? '(Python)' : ''}`.trim(),
      };
      const target = `${ROOT}/connectors/{{kind}}-{{name}}`;
      const typescript = answers.template !== 'python';
      // sql has one template per kind (a source on the driver, a destination on the dialect)
      const templateDir = join(
        HERE,
        'templates',
        answers.template,
        ...(answers.template === 'sql' ? [answers.kind] : []),
      );
      return [
        {
          type: 'addMany',
          destination: target,
          base: templateDir,
          templateFiles: join(templateDir, '**', '*'),
          stripExtensions: ['hbs'],
          globOptions: { dot: true },
          data,
        },
        ...[
          'CHANGELOG.md',
          'vitest.config.ts',
          ...(typescript ? ['tsconfig.json', 'tsconfig.build.json'] : []),
        ].map((file) => ({
          type: 'add',
          path: `${target}/${file}`,
          templateFile: join(HERE, 'templates', 'shared', `${file}.hbs`),
          skipIfExists: true,
          data,
        })),
        {
          type: 'add',
          path: `${ROOT}/.changeset/{{kind}}-{{name}}-first-version.md`,
          templateFile: join(HERE, 'templates', 'shared', 'changeset.md.hbs'),
          data,
        },
        ...(typescript
          ? []
          : [
              {
                type: 'shell',
                what: 'make main.py executable',
                command: 'chmod',
                args: (a) => ['+x', join('connectors', `${a.kind}-${a.name}`, 'main.py')],
              },
            ]),
        // tests that generate into a throwaway copy share node_modules with the real checkout
        ...(process.env.CONVEYOR_GENERATOR_SKIP_INSTALL
          ? []
          : [
              {
                type: 'shell',
                what: 'link it into the workspace (npm install)',
                command: 'npm',
                args: () => ['install', '--prefer-offline', '--no-audit', '--no-fund'],
              },
            ]),
        {
          type: 'shell',
          what: 'format it (biome)',
          command: 'npx',
          args: (a) => ['biome', 'check', '--write', join('connectors', `${a.kind}-${a.name}`)],
        },
        ...(typescript
          ? [
              {
                type: 'shell',
                what: 'build it',
                command: 'npm',
                args: () => ['run', 'build'],
                cwd: `connectors/${answers.kind}-${answers.name}`,
              },
            ]
          : []),
        {
          type: 'shell',
          what: 'write its docs page from the spec (README.md)',
          command: process.execPath,
          args: (a) => [join(HERE, 'docs-from-spec.mjs'), join('connectors', `${a.kind}-${a.name}`)],
        },
        () =>
          answers.template === 'sql'
            ? `Next: cd connectors/${answers.kind}-${answers.name} && npm test   (against a throwaway database on the local PostgreSQL; CONVEYOR_TEST_PG_URL=postgres://... for a server of your database), then change what differs from PostgreSQL: the defaults in src/spec.json (the port, ${
                answers.kind === 'source' ? 'the schemas' : 'the schema'
              }) and, if its types differ, the type mapping in src/index.ts (${
                answers.kind === 'source'
                  ? "wrap the driver's jsonSchemaFor/converterFor"
                  : "wrap the dialect's columnType"
              }); npm run build and npm run docs after`
            : `Next: npx conveyor test connectors/${answers.kind}-${answers.name}   (then ${
                answers.kind === 'destination'
                  ? 'change commit() in src/index.ts to write to your system'
                  : answers.template === 'python'
                    ? 'change main.py for your API and record it with --record'
                    : answers.template === 'declarative'
                      ? 'change manifest.yaml for your API (url_base, authenticator, streams) and test/fixtures/ with it, npm run build && npm test, and record it with --record'
                      : 'change src/ for your API, npm run build, and record it with --record'
              })`,
      ];
    },
  });
}
