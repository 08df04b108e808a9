// Finding a stream's files: walk only the directory under the glob's static prefix (never the
// whole disk), match full paths with picomatch, and order by modification time then path so every
// run, and the incremental cursor, sees files in the same order.

import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { configError, systemError } from '@conveyor/protocol';
import picomatch from 'picomatch';

export interface MatchedFile {
  path: string;
  /** Whole milliseconds: the precision an ISO timestamp (and so the saved state) keeps. */
  mtimeMs: number;
  mtime: string;
  size: number;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | undefined)?.code ?? '';
}

async function statFile(path: string): Promise<MatchedFile | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return undefined;
    const mtimeMs = Math.floor(info.mtimeMs);
    return { path, mtimeMs, mtime: new Date(mtimeMs).toISOString(), size: info.size };
  } catch (error) {
    // Gone between listing and stat, or a dangling symlink: not a file to read.
    if (errorCode(error) === 'ENOENT') return undefined;
    throw unreadable(path, error);
  }
}

function unreadable(path: string, error: unknown) {
  const code = errorCode(error);
  if (code === 'EACCES' || code === 'EPERM') {
    return configError(
      `"${path}" cannot be read: permission denied. Give the user running the connector read access, or narrow the glob to leave it out.`,
      { cause: error },
    );
  }
  return systemError(`"${path}" cannot be read (${code || String(error)}).`, { cause: error });
}

async function listDirectory(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw unreadable(dir, error);
  }
}

/** All files matching an absolute glob pattern, ordered by (mtime, path). */
export async function listMatchingFiles(pattern: string): Promise<MatchedFile[]> {
  const scan = picomatch.scan(pattern);
  const files: MatchedFile[] = [];
  if (!scan.isGlob) {
    const file = await statFile(pattern);
    if (file) files.push(file);
    return files;
  }
  const isMatch = picomatch(pattern);
  // Without `**` the pattern has a fixed depth below its base: no need to look deeper.
  const maxDepth = scan.glob.includes('**') ? Number.POSITIVE_INFINITY : scan.glob.split('/').length;
  const root = scan.base === '' ? '/' : scan.base;

  const walk = async (dir: string, depth: number): Promise<void> => {
    for (const entry of await listDirectory(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < maxDepth) await walk(path, depth + 1);
      } else if ((entry.isFile() || entry.isSymbolicLink()) && isMatch(path)) {
        const file = await statFile(path);
        if (file) files.push(file);
      }
    }
  };
  await walk(root, 1);
  files.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return files;
}
