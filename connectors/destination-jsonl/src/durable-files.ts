// Making files durable: fsync a file, fsync a directory (so a created or renamed entry survives a
// crash), and replace a file atomically (write a temporary file, fsync it, rename it over).

import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Readers see the old content or the new, never a mix; the new content survives a crash once this resolves. */
export async function replaceFile(path: string, content: string): Promise<void> {
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}
