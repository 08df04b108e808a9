import { DuckDBInstance } from '@duckdb/node-api';
import { rmSync } from 'node:fs';
rmSync('/tmp/pt/b.duckdb', { force: true });
const i = await DuckDBInstance.create('/tmp/pt/b.duckdb'); const c = await i.connect();
await c.run(`CREATE TABLE users AS SELECT * FROM read_json('/work/main/bench-out/users-1000000.v1.data.jsonl', format='newline_delimited')`);
