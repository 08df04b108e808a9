// A private PostgreSQL server that asks for passwords (the shared test server trusts every login,
// so a wrong password could not fail there). Made with the installed initdb in a temp directory on
// a free port, owned by the `postgres` OS user when the tests run as root, and stopped afterwards.
// Undefined when no PostgreSQL binaries are installed.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '@conveyor/sql';

export interface PasswordServer {
  port: number;
  user: string;
  password: string;
  stop(): Promise<void>;
}

function binDirectory(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'postgres'))) return bin;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs as the postgres OS user when we are root (PostgreSQL refuses to run as root). */
function serverUser(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
  return { uid, gid };
}

export async function startPasswordServer(): Promise<PasswordServer | undefined> {
  const bin = binDirectory();
  if (!bin) return undefined;
  const directory = await mkdtemp(join(tmpdir(), 'conveyor-pg-password-'));
  const data = join(directory, 'data');
  const user = 'conveyor';
  const password = 'right-password';
  const passwordFile = join(directory, 'password');
  await writeFile(passwordFile, password);
  const owner = serverUser();
  if (owner.uid !== undefined) {
    await chown(directory, owner.uid, owner.gid);
    await chown(passwordFile, owner.uid, owner.gid);
  }
  await chmod(directory, 0o700);
  const init = spawnSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', user, '-A', 'scram-sha-256', `--pwfile=${passwordFile}`, '--no-sync'],
    { encoding: 'utf8', ...owner },
  );
  if (init.status !== 0) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr}`);
  }
  const port = await freePort();
  const server: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', directory, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { stdio: 'ignore', ...owner },
  );
  const stop = async () => {
    if (server.exitCode === null) {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGINT');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const client = await openPostgres({
        host: '127.0.0.1',
        port,
        database: 'postgres',
        username: user,
        password,
        sslMode: 'disable',
        sslCa: undefined,
      });
      await client.end();
      return { port, user, password, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  await stop();
  throw new Error('the private PostgreSQL server did not start within 10 s');
}
