// Installs one version of a connector package into its own folder with npm:
//   <home>/connectors/<package>/<version>/node_modules/<package>
// Each version keeps its own dependencies, so versions never share or overwrite code, a running sync
// keeps the files it started with, and an old version stays ready for a rollback.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError, systemError, transientError } from '@conveyor/protocol';
import { normalizeRegistry, tokenFor } from './registry-client.js';

export function versionFolder(home: string, pkg: string, version: string): string {
  return join(home, 'connectors', ...pkg.split('/'), version);
}

/**
 * The npm settings for the install: the package's scope (or, unscoped, every package) comes from the
 * connector registry; other dependencies come from the user's usual npm registry.
 */
function npmrcFor(pkg: string, registry: string): string {
  const url = normalizeRegistry(registry);
  const lines = pkg.startsWith('@') ? [`${pkg.split('/')[0]}:registry=${url}`] : [`registry=${url}`];
  if (tokenFor(url))
    lines.push(`//${url.replace(/^https?:\/\//, '')}:_authToken=\${CONVEYOR_REGISTRY_TOKEN}`);
  return `${lines.join('\n')}\n`;
}

/** npm run / npx export npm_config_* for the calling project; none of it belongs to this install. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('npm_') && lower !== 'npm_config_cache' && lower !== 'npm_config_userconfig')
      continue;
    env[key] = value;
  }
  return env;
}

function runNpm(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((done, reject) => {
    const child = spawn('npm', args, { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? systemError(
              'npm is not on the PATH; Conveyor installs connectors with npm. Install Node.js with npm.',
            )
          : error,
      ),
    );
    child.once('close', (code) => done({ code: code ?? 1, output }));
  });
}

/**
 * Installs `pkg@version` (an exact version) and returns its folder. The install happens in a
 * temporary folder that is renamed into place only when npm succeeded, so a crash never leaves a
 * half-installed version that looks usable.
 */
export async function installVersion(
  home: string,
  pkg: string,
  version: string,
  registry: string,
): Promise<string> {
  const folder = versionFolder(home, pkg, version);
  const complete = () => existsSync(join(folder, 'node_modules', ...pkg.split('/'), 'package.json'));
  if (complete()) return folder;
  const staging = `${folder}.installing-${process.pid}-${randomBytes(4).toString('hex')}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(
    join(staging, 'package.json'),
    `${JSON.stringify({ name: 'conveyor-connector-install', private: true, dependencies: { [pkg]: version } }, null, 2)}\n`,
  );
  writeFileSync(join(staging, '.npmrc'), npmrcFor(pkg, registry));
  const { code, output } = await runNpm(
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'],
    staging,
  );
  if (code !== 0) {
    rmSync(staging, { recursive: true, force: true });
    const tail = output.trim().split('\n').slice(-6).join('\n');
    const message = `npm could not install ${pkg}@${version} from ${normalizeRegistry(registry)}:\n${tail}`;
    if (/ETARGET|E404|404 Not Found|EINTEGRITY/.test(output)) {
      throw configError(`${message}\nCheck the package name and version on that registry.`);
    }
    if (/EACCES|EPERM|ENOSPC|EROFS/.test(output)) {
      throw systemError(`${message}\nCheck that ${home} is writable and the disk has room.`);
    }
    throw transientError(`${message}\nCheck that the registry is reachable, then try again.`);
  }
  // a folder that is complete is never replaced: a sync may be running from it
  if (complete()) {
    rmSync(staging, { recursive: true, force: true });
    return folder;
  }
  rmSync(folder, { recursive: true, force: true }); // an incomplete leftover, never used
  renameSync(staging, folder);
  return folder;
}
