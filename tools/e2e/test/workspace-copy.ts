// A throwaway git repository made from this workspace: its files (tracked and new, not ignored),
// optionally the built dist/ folders, and a link to the real node_modules, so nx, turbo, changesets
// and npm run in it as they do in the real one while nothing here is touched.

import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ROOT } from './cli.js';

export interface WorkspaceCopy {
  dir: string;
  git(...args: string[]): string;
  /** Commits everything and returns the commit. */
  commit(message: string): string;
  write(path: string, text: string): void;
  remove(): void;
}

/**
 * `withoutPendingChangesets` leaves out the changesets waiting in .changeset/, so a release made in
 * the copy publishes exactly what its test adds (a pull request carries its own changeset).
 */
export function workspaceCopy(
  options: { withDist?: boolean; withoutPendingChangesets?: boolean } = {},
): WorkspaceCopy {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-ws-'));
  const pending = (f: string) => /^\.changeset\/(?!README\.md$).+\.md$/.test(f);
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(ROOT, f)))
    .filter((f) => !(options.withoutPendingChangesets && pending(f)));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    cpSync(join(ROOT, file), join(dir, file));
  }
  if (options.withDist) {
    for (const group of ['libs', 'connectors']) {
      for (const pkg of execFileSync('ls', [join(ROOT, group)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)) {
        const dist = join(ROOT, group, pkg, 'dist');
        if (existsSync(dist)) cpSync(dist, join(dir, group, pkg, 'dist'), { recursive: true });
      }
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.email=ci@conveyor.test', '-c', 'user.name=ci', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '-b', 'main');
  const commit = (message: string) => {
    git('add', '-A');
    git('commit', '-q', '--allow-empty', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  commit('workspace copy');
  return {
    dir,
    git,
    commit,
    write: (path, text) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
