// Throwaway MariaDB/MySQL databases for the MySQL tests: `mariadbDatabase()` from @conveyor/testing
// makes sure the server runs and creates a database with a random name; this adds an admin
// connection for arranging and inspecting data, and drops the extra databases a test made beside
// it (named after it, for namespaces and fresh destinations).

import type { JsonObject } from '@conveyor/protocol';
import { mariadbAdmin, mariadbDatabase, type TestDatabase } from '@conveyor/testing';
import type { Connection } from 'mysql2/promise';

export interface MysqlTestDatabase {
  database: string;
  server: TestDatabase;
  config: JsonObject;
  /** a connection to the database as the test server's admin user */
  admin: Connection;
  /** a further empty database whose name starts with this one's, dropped with it */
  sibling(suffix: string): Promise<JsonObject>;
  drop(): Promise<void>;
}

const quote = (name: string) => `\`${name.replaceAll('`', '``')}\``;

export async function mysqlTestDatabase(): Promise<MysqlTestDatabase> {
  const server = await mariadbDatabase();
  const admin = await mariadbAdmin(server, { dateStrings: true, supportBigNumbers: true });
  const config: JsonObject = { ...server.config, ssl_mode: 'prefer' };
  return {
    database: server.database,
    server,
    config,
    admin,
    async sibling(suffix) {
      const name = `${server.database}_${suffix}`;
      await admin.query(`CREATE DATABASE ${quote(name)} CHARACTER SET utf8mb4`);
      return { ...config, database: name };
    },
    async drop() {
      try {
        const [rows] = await admin.query('SHOW DATABASES');
        for (const row of rows as Record<string, string>[]) {
          const name = Object.values(row)[0] ?? '';
          if (name.startsWith(`${server.database}_`)) await admin.query(`DROP DATABASE ${quote(name)}`);
        }
      } finally {
        await admin.end().catch(() => {});
        await server.drop();
      }
    },
  };
}
