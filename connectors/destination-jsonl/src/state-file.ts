// The states committed for a connection, kept beside the data in
// `<directory>/.conveyor-state/<connection>.json` as `{ "seq": n, "states": [...], "overwrites": {...} }`.
// `overwrites` records, per file being overwritten, its temporary file and the size it had when
// the states were committed, so a retry of the same generation resumes exactly there.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommittedStates } from '@conveyor/cdk';
import { type StateMessage, systemError } from '@conveyor/protocol';
import { fileSafeName } from './file-names.js';

export const STATE_DIRECTORY = '.conveyor-state';

export interface OverwriteProgress {
  /** file name of the temporary file, in the stream file's directory */
  temporary: string;
  /** bytes of the temporary file that are committed */
  size: number;
  generation: number | null;
}

export interface StateFile extends CommittedStates {
  /** keyed by the stream file's path relative to the output directory */
  overwrites: Record<string, OverwriteProgress>;
}

export function stateFilePath(directory: string, connectionId: string): string {
  return join(directory, STATE_DIRECTORY, `${fileSafeName(connectionId)}.json`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The connection's state file, or undefined when there is none. */
export async function readStateFile(directory: string, connectionId: string): Promise<StateFile | undefined> {
  const path = stateFilePath(directory, connectionId);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw systemError(`Cannot read the state file ${path}.`, {
      internalMessage: String(error),
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    parsed = error;
  }
  if (!isObject(parsed) || typeof parsed.seq !== 'number' || !Array.isArray(parsed.states)) {
    throw systemError(
      `The state file ${path} is not a valid Conveyor state file. Delete it to start the connection over (its streams will be read again).`,
    );
  }
  return {
    seq: parsed.seq,
    states: parsed.states as StateMessage[],
    overwrites: isObject(parsed.overwrites) ? (parsed.overwrites as Record<string, OverwriteProgress>) : {},
  };
}
