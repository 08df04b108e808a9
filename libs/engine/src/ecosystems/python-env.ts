// Python connectors from PyPI (Airbyte packages, Singer taps and targets), each installed once into
// its own virtualenv under a shared cache and reused. uv is used when it is on the PATH, else
// `python -m venv` plus pip. The resolved versions of everything installed are written beside the
// environment (conveyor-env.json), so a run can say exactly what it ran.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Logger } from '@conveyor/cdk';
import { configError, systemError, transientError } from '@conveyor/protocol';
import { writeFileAtomically } from '../atomic-file.js';
import { processAlive } from '../sqlite.js';

export interface PythonRequirement {
  /** The PyPI distribution, e.g. `airbyte-source-faker`. */
  package: string;
  /** An exact version (`7.2.1`), or undefined for the newest at first install. */
  version?: string;
  /** The executable the package installs, e.g. `source-faker`. */
  executable: string;
}

export interface PythonEnv {
  dir: string;
  /** Absolute path of the requirement's executable inside the environment. */
  executable: string;
  /** The version of the package that was installed. */
  version: string;
  /** Every distribution in the environment and its version (what `pip freeze` reports). */
  packages: Record<string, string>;
  python: string;
  installer: 'uv' | 'pip';
}

export interface PythonEnvOptions {
  logger: Logger;
  /** Where environments live; default $CONVEYOR_PYTHON_ENVS or ~/.cache/conveyor/python. */
  cacheDir?: string;
  /** The interpreter that creates environments; default $CONVEYOR_PYTHON or python3. */
  python?: string;
  /** Ignore uv even when it is installed (tests of the pip path). */
  noUv?: boolean;
}

const ENV_FILE = 'conveyor-env.json';
const PROGRESS_EVERY_MS = 15_000;

export function pythonCacheDir(override?: string): string {
  return override ?? process.env.CONVEYOR_PYTHON_ENVS ?? join(homedir(), '.cache', 'conveyor', 'python');
}

/** `name==1.2.3` or `name` → its parts; rejects anything pip would read as more than a name. */
export function parseRequirement(text: string, what: string): { name: string; version?: string } {
  const match = /^([A-Za-z0-9][A-Za-z0-9._-]*)(?:==([A-Za-z0-9.+!_-]+))?$/.exec(text.trim());
  if (!match) {
    throw configError(
      `"${text}" is not a ${what} reference: use a PyPI name with an optional exact version, like source-faker or source-faker==7.2.1.`,
    );
  }
  return match[2] ? { name: match[1]!, version: match[2] } : { name: match[1]! };
}

interface Ran {
  code: number | null;
  output: string[];
  spawnError?: NodeJS.ErrnoException;
}

/**
 * uv does not read pip's configuration: where TLS is intercepted by a local certificate authority
 * (installed in the system store, as pip is told with `cert`), uv must use the system store too.
 */
const UV_ENV = { UV_SYSTEM_CERTS: '1', UV_NATIVE_TLS: '1' };

function run(file: string, args: string[], onLine?: (line: string) => void): Promise<Ran> {
  return new Promise((done) => {
    const output: string[] = [];
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...(file === 'uv' ? UV_ENV : {}),
        ...process.env,
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
        PYTHONUNBUFFERED: '1',
      },
    });
    let spawnError: NodeJS.ErrnoException | undefined;
    const take = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split(/\r?\n/)) {
        if (!line.trim()) continue;
        output.push(line);
        if (output.length > 400) output.shift();
        onLine?.(line);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code) => done({ code, output, ...(spawnError ? { spawnError } : {}) }));
  });
}

function onPath(executable: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, executable)));
}

const pythonVersions = new Map<string, Promise<string>>();

/** The interpreter's full version; asked once per process. */
function pythonVersion(python: string): Promise<string> {
  let known = pythonVersions.get(python);
  if (!known) {
    known = askPythonVersion(python);
    pythonVersions.set(python, known);
    known.catch(() => pythonVersions.delete(python));
  }
  return known;
}

async function askPythonVersion(python: string): Promise<string> {
  const ran = await run(python, ['-c', 'import sys; print("%d.%d.%d" % sys.version_info[:3])']);
  const version = ran.output.at(-1) ?? '';
  if (ran.spawnError || ran.code !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) {
    throw configError(
      `Python connectors need Python 3: "${python}" ${ran.spawnError ? 'was not found' : 'did not run'}. Install Python 3.9 or newer, or set CONVEYOR_PYTHON to its path.`,
    );
  }
  return version;
}

/** Turns pip's or uv's failure into an error that says which of the usual causes it was. */
export function explainInstallFailure(
  requirement: string,
  python: string,
  output: string[],
  code: number | null,
): Error {
  const text = output.join('\n');
  const tail = output
    .filter((l) => !/^WARNING: Location|^Looking in/.test(l))
    .slice(-6)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}...` : l))
    .join('\n  ');
  // offline, pip also says "No matching distribution found": the network comes first
  if (
    /NewConnectionError|Temporary failure in name resolution|Max retries exceeded|Network is unreachable|ConnectTimeout|Failed to fetch|error sending request/i.test(
      text,
    )
  ) {
    return transientError(`Installing ${requirement} failed: PyPI could not be reached.\n  ${tail}`);
  }
  // not "python_version": pip prints that for ignored environment markers in ordinary installs
  if (/requires a different Python|Requires-Python [<>=!~]|only has .* available for Python/i.test(text)) {
    // pip lists every version it skipped with its range; the newest (or the one asked for) says enough
    const pinned = /==(.+)$/.exec(requirement)?.[1];
    const ranges = [...text.matchAll(/(\S+) Requires-Python ([^;\n]+)/g)];
    const range = (ranges.find((m) => m[1] === pinned) ?? ranges.at(-1))?.[2]?.trim();
    return configError(
      `${requirement} cannot be installed on Python ${python}${range ? `: it needs Python ${range}` : ''}. Point CONVEYOR_PYTHON at a Python it supports.`,
    );
  }
  const versions = /\(from versions: ([^)]*)\)/.exec(text)?.[1];
  if (versions !== undefined && versions.trim() !== 'none') {
    const list = versions.split(',').map((v) => v.trim());
    return configError(
      `${requirement}: no such version on PyPI. Newest versions: ${list.slice(-5).join(', ')}.`,
    );
  }
  if (
    /No matching distribution found|not found in the package registry|No solution found|was not found in the package registry/i.test(
      text,
    )
  ) {
    return configError(
      `${requirement} was not found on PyPI. Check the name: Airbyte connectors are published as airbyte-source-<name> and airbyte-destination-<name>, Singer ones usually as tap-<name> and target-<name>.\n  ${tail}`,
    );
  }
  return systemError(`Installing ${requirement} failed (installer exited with code ${code}).\n  ${tail}`);
}

/** The installed environment, or undefined when there is none (or only a half-made one). */
function readEnv(dir: string, spec: string, executable: string): PythonEnv | undefined {
  const file = join(dir, ENV_FILE);
  if (!existsSync(file)) return undefined;
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as Omit<PythonEnv, 'dir' | 'executable'>;
  const path = join(dir, 'bin', executable);
  // a complete environment without that executable is a wrong name, not a reason to reinstall
  if (!existsSync(path)) throw missingExecutable(spec, dir, executable);
  return { ...recorded, dir, executable: path };
}

function missingExecutable(spec: string, dir: string, executable: string): Error {
  const found = readdirSync(join(dir, 'bin')).filter(
    (f) => !/^(python|pip|activate|Activate|easy_install|deactivate)/.test(f),
  );
  const name = spec.split('==')[0];
  return configError(
    `${spec} is installed, but it has no executable "${executable}". It has: ${found.join(', ') || 'none'}. Name the executable in the reference, like singer:${name}:${found[0] ?? 'tap-name'}.`,
  );
}

function freezeToMap(lines: string[]): Record<string, string> {
  const packages: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Za-z0-9._-]+)==(.+)$/.exec(line.trim());
    if (m) packages[m[1]!.toLowerCase().replace(/_/g, '-')] = m[2]!;
  }
  return packages;
}

/** One installer at a time per environment: a lock file holding the installer's pid. */
async function withLock<T>(lockFile: string, logger: Logger, work: () => Promise<T>): Promise<T> {
  let announced = false;
  // the lock appears with the pid already in it (a hard link of a finished file), never empty
  const mine = `${lockFile}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(mine, String(process.pid));
  try {
    for (;;) {
      try {
        linkSync(mine, lockFile);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      let pid: number;
      try {
        pid = Number(readFileSync(lockFile, 'utf8'));
      } catch {
        continue; // released meanwhile: try again
      }
      if (!processAlive(pid)) {
        // a dead installer's lock: move it aside (atomically); if what moved was a live lock that
        // replaced it meanwhile, put that back
        const stale = `${lockFile}.stale.${process.pid}`;
        try {
          renameSync(lockFile, stale);
          const holder = Number(readFileSync(stale, 'utf8'));
          // someone else took it over first: put their live lock back
          if (holder !== pid) linkSync(stale, lockFile);
        } catch {
          // released or taken meanwhile: look again
        } finally {
          rmSync(stale, { force: true });
        }
        continue;
      }
      if (!announced)
        logger.info(`Waiting for another Conveyor process (pid ${pid}) that installs the same package...`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    rmSync(mine, { force: true });
  }
  try {
    return await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/**
 * The environment holding `requirement`, installed on first use. An unpinned requirement reuses
 * whatever version was installed first (see conveyor-env.json); pin a version to change it.
 */
export async function ensurePythonPackage(
  requirement: PythonRequirement,
  options: PythonEnvOptions,
): Promise<PythonEnv> {
  const cache = pythonCacheDir(options.cacheDir);
  const spec = requirement.version ? `${requirement.package}==${requirement.version}` : requirement.package;
  const python = options.python ?? process.env.CONVEYOR_PYTHON ?? 'python3';
  // an environment belongs to one interpreter: another Python version gets its own
  const minor = (await pythonVersion(python)).split('.').slice(0, 2).join('.');
  const dir = join(cache, `${requirement.package}@${requirement.version ?? 'latest'}-py${minor}`);
  const ready = readEnv(dir, spec, requirement.executable);
  if (ready) return ready;
  mkdirSync(cache, { recursive: true });
  return withLock(`${dir}.lock`, options.logger, async () => {
    const again = readEnv(dir, spec, requirement.executable);
    if (again) return again;
    return install(requirement, spec, dir, python, options);
  });
}

async function install(
  requirement: PythonRequirement,
  spec: string,
  dir: string,
  python: string,
  options: PythonEnvOptions,
): Promise<PythonEnv> {
  const { logger } = options;
  const version = await pythonVersion(python);
  const useUv = !options.noUv && onPath('uv');
  rmSync(dir, { recursive: true, force: true }); // a half-made environment from an interrupted install
  const started = Date.now();
  logger.info(
    `Installing ${spec} from PyPI with ${useUv ? 'uv' : 'pip'} into ${dir} (first use; later runs reuse it)...`,
  );
  let fetched = 0;
  const ticker = setInterval(() => {
    const seconds = Math.round((Date.now() - started) / 1000);
    logger.info(`  still installing ${spec} (${seconds} s, ${fetched} distributions resolved so far)`);
  }, PROGRESS_EVERY_MS);
  ticker.unref();
  const progress = (line: string) => {
    const text = line.trim();
    if (/^Collecting /.test(text)) fetched += 1;
    if (/^Installing collected packages/.test(text)) logger.info(`  installing ${fetched} distributions...`);
    else logger.debug(`  ${text}`);
  };
  const envPython = join(dir, 'bin', 'python');
  try {
    const created = useUv
      ? await run('uv', ['venv', '--quiet', '--python', python, dir], progress)
      : await run(python, ['-m', 'venv', dir], progress);
    if (created.code !== 0) {
      throw systemError(
        `Could not create a virtualenv for ${spec} with ${python} (${created.output.slice(-3).join(' ')}). On Debian, install python3-venv.`,
      );
    }
    const installed = useUv
      ? await run('uv', ['pip', 'install', '--python', envPython, spec], progress)
      : await run(envPython, ['-m', 'pip', 'install', '--progress-bar', 'off', spec], progress);
    if (installed.code !== 0) throw explainInstallFailure(spec, version, installed.output, installed.code);
    const frozen = useUv
      ? await run('uv', ['pip', 'freeze', '--python', envPython])
      : await run(envPython, ['-m', 'pip', 'freeze', '--all']);
    const packages = freezeToMap(frozen.output);
    const executable = join(dir, 'bin', requirement.executable);
    if (!existsSync(executable)) throw missingExecutable(spec, dir, requirement.executable);
    const env: PythonEnv = {
      dir,
      executable,
      version:
        packages[requirement.package.toLowerCase().replace(/_/g, '-')] ?? requirement.version ?? 'unknown',
      packages,
      python: version,
      installer: useUv ? 'uv' : 'pip',
    };
    const { dir: _d, executable: _e, ...recorded } = env;
    writeFileAtomically(
      join(dir, ENV_FILE),
      `${JSON.stringify({ ...recorded, requested: spec, installedAt: new Date().toISOString() }, null, 2)}\n`,
    );
    logger.info(
      `Installed ${requirement.package} ${env.version} in ${Math.round((Date.now() - started) / 1000)} s.`,
    );
    return env;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    clearInterval(ticker);
  }
}
