// @conveyor/sql: the SQL family, one layer under every SQL source and destination. See README.md.
export * from './identifiers.js';
export * from './logical-types.js';
