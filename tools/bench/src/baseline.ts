// The physical floor of the passthrough benchmark, run as its own Node process so it pays the same
// start-up as Conveyor: DuckDB loading the same records' data straight from a JSON-lines file.
// Usage: node baseline.js DATA_FILE DB_FILE

import { DuckDBInstance } from '@duckdb/node-api';

const [dataFile, dbFile] = process.argv.slice(2);
if (!dataFile || !dbFile) {
  process.stderr.write('usage: node baseline.js DATA_FILE DB_FILE\n');
  process.exit(2);
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;
const instance = await DuckDBInstance.create(dbFile);
const connection = await instance.connect();
await connection.run(
  `CREATE TABLE users AS SELECT * FROM read_json(${literal(dataFile)}, format='newline_delimited')`,
);
connection.closeSync();
instance.closeSync();
