// Stream names as file names. Any name works: `%`, `/`, `\`, NUL and a leading `.` are
// percent-encoded (`%25`, `%2F`, `%5C`, `%00`, `%2E`), so a name never escapes the directory, never
// hides the file, and two different names never share a file. Everything else is kept as written.

const ENCODED = new Set(['%', '/', '\\', '\u0000']);

function percentEncoded(character: string): string {
  return `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** `a/b` → `a%2Fb`, `.env` → `%2Eenv`; the empty name becomes `_`. */
export function fileSafeName(name: string): string {
  if (name === '') return '_';
  let encoded = '';
  for (const character of name) encoded += ENCODED.has(character) ? percentEncoded(character) : character;
  return encoded.startsWith('.') ? `%2E${encoded.slice(1)}` : encoded;
}

/** Most file systems refuse longer names. */
export const MAX_FILE_NAME_BYTES = 255;
