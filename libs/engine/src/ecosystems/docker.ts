// `docker:airbyte/source-postgres:3.6.2`: an Airbyte-protocol container image. The config, catalog
// and state files are mounted read-only at /conveyor/files and the arguments name them there;
// stdin stays open for destinations; the host network lets a container reach local databases; a
// host folder is mounted at /local for destinations that write files; stopping removes the container.
// These machines have no Docker engine: the command line is tested, the live run is not.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { basename, dirname, isAbsolute } from 'node:path';
import { configError } from '@conveyor/protocol';
import type { Command } from '../connector-process.js';
import type { DestinationHandle, Launcher, SourceHandle } from '../launcher.js';
import { subprocessDestination, subprocessSource } from '../subprocess.js';

export const CONTAINER_FILES = '/conveyor/files';
const FILE_FLAGS = new Set(['--config', '--catalog', '--state']);

/** `airbyte/source-postgres:3.6.2` → the image; a reference without a tag is refused (it would drift). */
export function parseImage(reference: string): string {
  const image = reference.trim();
  const lastColon = image.lastIndexOf(':');
  const lastSlash = image.lastIndexOf('/');
  if (!/^[a-z0-9][a-z0-9._\-/:@]*$/i.test(image) || lastColon <= lastSlash) {
    throw configError(
      `docker:${reference} needs an image with a tag, like docker:airbyte/source-postgres:3.6.2 (a missing tag would run whatever "latest" is that day).`,
    );
  }
  return image;
}

export interface DockerRunOptions {
  /** the container's name, so that stopping the connector can remove it */
  name: string;
  /**
   * Host folder mounted at /local, where Airbyte's local destinations (csv, local-json, duckdb,
   * sqlite) write: without it their output would vanish with the container.
   */
  localDir: string;
}

/** The `docker run` command line for a connector command line whose file arguments are on the host. */
export function dockerCommandLine(
  image: string,
  argv: string[],
  options: DockerRunOptions,
): { file: string; args: string[] } {
  const mounts = new Set<string>();
  const inner = argv.map((arg, i) => {
    const previous = argv[i - 1];
    if (previous && FILE_FLAGS.has(previous) && isAbsolute(arg)) {
      mounts.add(dirname(arg));
      return `${CONTAINER_FILES}/${basename(arg)}`;
    }
    return arg;
  });
  if (mounts.size > 1)
    throw new Error(`files for one docker run must share a folder: ${[...mounts].join(', ')}`);
  const volume = [...mounts].flatMap((dir) => ['--volume', `${dir}:${CONTAINER_FILES}:ro`]);
  return {
    file: 'docker',
    args: [
      'run',
      '--rm',
      '--interactive',
      '--init',
      '--name',
      options.name,
      '--network',
      'host',
      '--volume',
      `${options.localDir}:/local`,
      ...volume,
      image,
      ...inner,
    ],
  };
}

let engineChecked: Promise<void> | undefined;

/** Fails early, and clearly, when there is no Docker engine to run the image. */
export function assertDockerEngine(): Promise<void> {
  engineChecked ??= new Promise<void>((done, fail) => {
    execFile(
      'docker',
      ['version', '--format', '{{.Server.Version}}'],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        if (!error && stdout.trim()) return done();
        const missing = (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
        fail(
          configError(
            missing
              ? 'docker: connectors need a Docker engine, and `docker` is not on the PATH. Install Docker, or run the connector another way (airbyte:<name> for Python connectors on PyPI, exec:PATH for a local executable).'
              : `docker: connectors need a running Docker engine, and none answered (${(stderr || String(error)).trim().split('\n')[0]}). Start Docker, or run the connector another way (airbyte:<name>, exec:PATH).`,
          ),
        );
      },
    );
  }).catch((error: unknown) => {
    engineChecked = undefined; // ask again next time: the engine may have been started since
    throw error;
  });
  return engineChecked;
}

/** Where `/local` of every container lives on the host: $CONVEYOR_DOCKER_LOCAL or Airbyte's /tmp/airbyte_local. */
export function dockerLocalDir(): string {
  return process.env.CONVEYOR_DOCKER_LOCAL ?? '/tmp/airbyte_local';
}

function command(reference: string): Command {
  const image = parseImage(reference);
  return {
    file: 'docker',
    args: [],
    launch: (argv) => {
      const name = `conveyor-${process.pid}-${randomBytes(4).toString('hex')}`;
      const localDir = dockerLocalDir();
      mkdirSync(localDir, { recursive: true });
      return {
        ...dockerCommandLine(image, argv, { name, localDir }),
        // killing the docker CLI does not stop the container: remove it by name
        stop: () => execFile('docker', ['rm', '--force', name], () => {}),
      };
    },
  };
}

export const dockerLauncher: Launcher = {
  scheme: 'docker',
  async source(reference: string): Promise<SourceHandle> {
    const cmd = command(reference);
    await assertDockerEngine();
    return subprocessSource(`docker:${reference}`, cmd, {
      version: reference.slice(reference.lastIndexOf(':') + 1),
    });
  },
  async destination(reference: string): Promise<DestinationHandle> {
    const cmd = command(reference);
    await assertDockerEngine();
    return subprocessDestination(`docker:${reference}`, cmd, {
      version: reference.slice(reference.lastIndexOf(':') + 1),
    });
  },
};
