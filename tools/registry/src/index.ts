// A local npm registry for development and tests: verdaccio on loopback, no upstream registry, one
// local user allowed to publish. Tests start their own on a free port; `npm run registry` starts a
// long-lived one with its storage under .conveyor/registry.

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';

export interface LocalRegistry {
  /** `http://127.0.0.1:PORT/` (with the trailing slash npm expects). */
  url: string;
  /** A token for the local user; publishing needs it. */
  token: string;
  /** An `.npmrc` with the token line for this registry (publishing reads it). */
  npmrc: string;
  dir: string;
  stop(): Promise<void>;
}

export interface RegistryOptions {
  /** Folder for storage, users and config; created if missing. */
  dir: string;
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  user?: string;
  password?: string;
  /** Forward verdaccio's own log lines to this process's stderr. */
  verbose?: boolean;
}

function freePort(host: string): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

function configYaml(dir: string): string {
  // No `uplinks`: nothing is ever fetched from or proxied to another registry.
  return [
    `storage: ${JSON.stringify(join(dir, 'storage'))}`,
    'auth:',
    '  htpasswd:',
    `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
    '    max_users: 100',
    'web:',
    '  enable: false',
    'middlewares:',
    '  audit:',
    '    enabled: false',
    'packages:',
    "  '**':",
    '    access: $all',
    '    publish: $authenticated',
    '    unpublish: $authenticated',
    'max_body_size: 200mb',
    'log: { type: stdout, format: pretty, level: warn }',
    '',
  ].join('\n');
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`verdaccio exited (code ${child.exitCode}) before it listened:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}-/ping`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${output()}`);
}

/** Creates the user if it is new, logs in otherwise; either way returns a token. */
async function tokenFor(url: string, user: string, password: string): Promise<string> {
  const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(user)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: user, password, type: 'user', roles: [], date: new Date().toISOString() }),
  });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token) {
    throw new Error(`the local registry refused user "${user}": ${body.error ?? res.status}`);
  }
  return body.token;
}

/** A password made once per registry folder and kept there (mode 600), never in the repository. */
function localPassword(dir: string): string {
  const file = join(dir, 'local-user.secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

export async function startRegistry(options: RegistryOptions): Promise<LocalRegistry> {
  const dir = resolve(options.dir);
  const host = options.host ?? '127.0.0.1';
  const port = options.port || (await freePort(host));
  if (options.port && !(await portIsFree(host, port))) {
    throw new Error(
      `${host}:${port} is already in use (another registry?). Stop it, or pick another port with --port.`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(config, configYaml(dir));

  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('verdaccio/package.json')), 'bin', 'verdaccio');
  const child = spawn(process.execPath, [bin, '--config', config, '--listen', `${host}:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    if (options.verbose) process.stderr.write(chunk);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const url = `http://${host}:${port}/`;
  const stop = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  try {
    await waitUntilUp(url, child, () => output);
    const token = await tokenFor(url, options.user ?? 'conveyor', options.password ?? localPassword(dir));
    const npmrc = join(dir, '.npmrc');
    writeFileSync(npmrc, `//${host}:${port}/:_authToken=${token}\n`, { mode: 0o600 });
    return { url, token, npmrc, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
