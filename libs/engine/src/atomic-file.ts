// A file written whole or not at all: readers that do not take the writer's lock never see half of it.

import { renameSync, writeFileSync } from 'node:fs';

export function writeFileAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}
