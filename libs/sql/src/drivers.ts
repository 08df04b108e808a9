// The database drivers, each loaded when a connection first needs it: a sync that touches neither
// Postgres nor MySQL (faker into DuckDB) should not pay for loading them, a fifth of the CLI's
// start-up when they were imported with the family.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function pgDriver(): typeof import('pg') {
  return require('pg') as typeof import('pg');
}

export function pgCursor(): typeof import('pg-cursor') {
  return require('pg-cursor') as typeof import('pg-cursor');
}

export function pgCopyFrom(): typeof import('pg-copy-streams')['from'] {
  return (require('pg-copy-streams') as typeof import('pg-copy-streams')).from;
}

export function mysqlDriver(): typeof import('mysql2/promise') {
  return require('mysql2/promise') as typeof import('mysql2/promise');
}
