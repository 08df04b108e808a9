// The prepared input of the passthrough benchmark: N user records as RECORD envelope lines (what a
// protocol source prints) and the same records' data objects alone (what DuckDB's read_json loads
// for the baseline). Content is a pure function of the record id, so files are reproducible and
// the expected checksum is known without reading them back. Files are cached in bench-out/.

import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TableChecksum } from './table-check.js';

/** Bump when the generated content changes, so stale cached files are not reused. */
const FORMAT_VERSION = 1;
const RECORDS_PER_WRITE = 10_000;
const EMITTED_AT = 1_704_067_200_000;
const FIRST_UPDATED_AT_MS = Date.UTC(2024, 0, 1);

const FIRST_NAMES = [
  'Ada',
  'Bruno',
  'Chiara',
  'Dmitri',
  'Elif',
  'Farid',
  'Greta',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemal',
  'Lena',
  'Mateo',
  'Nadia',
  'Oskar',
  'Priya',
  'Quentin',
  'Rosa',
  'Sven',
  'Tamsin',
];
const LAST_NAMES = [
  'Almeida',
  'Becker',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fischer',
  'Gallo',
  'Haddad',
  'Ivanova',
  'Jensen',
  'Kowalski',
  'Lindqvist',
  'Moreau',
  'Novak',
  'Okafor',
  'Petrov',
  'Rossi',
  'Schmidt',
  'Tanaka',
  'Weber',
];
const CITIES = [
  'Lisbon',
  'Porto',
  'Berlin',
  'Hamburg',
  'Lyon',
  'Paris',
  'Milan',
  'Turin',
  'Oslo',
  'Bergen',
  'Krakow',
  'Gdansk',
  'Osaka',
  'Kyoto',
  'Austin',
  'Denver',
];
const STREETS = [
  'Harbor Lane',
  'Mill Road',
  'Station Street',
  'Orchard Way',
  'Canal Walk',
  'Market Square',
  'Chapel Row',
  'Elm Avenue',
];
const COUNTRIES = ['PT', 'DE', 'FR', 'IT', 'NO', 'PL', 'JP', 'US'];
const TAGS = ['vip', 'beta', 'newsletter', 'churn-risk', 'wholesale', 'trial', 'partner', 'support'];

/** JSON schema of the prepared records, as the bench's source discovers it. */
export const USERS_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    email: { type: 'string' },
    age: { type: 'integer' },
    city: { type: 'string' },
    address: {
      type: 'object',
      properties: { street: { type: 'string' }, zip: { type: 'string' }, country: { type: 'string' } },
    },
    tags: { type: 'array', items: { type: 'string' } },
    updated_at: { type: 'string', format: 'date-time' },
  },
} as const;

export interface PreparedRecords {
  count: number;
  /** RECORD envelope lines */
  recordsFile: string;
  /** the data objects alone, one per line */
  dataFile: string;
  /** average bytes of an envelope line, newline included */
  bytesPerRecord: number;
  expected: TableChecksum;
  /** true when the files were already in bench-out and reused */
  cached: boolean;
}

/** A cheap integer mix: spreads consecutive ids over the vocabularies without any state. */
function mix(id: number): number {
  let h = Math.imul(id ^ 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

interface UserRecord {
  id: number;
  name: string;
  email: string;
  age: number;
  city: string;
  address: { street: string; zip: string; country: string };
  tags: string[];
  updated_at: string;
}

export function userRecord(id: number): UserRecord {
  const h = mix(id);
  const first = FIRST_NAMES[h % FIRST_NAMES.length]!;
  const last = LAST_NAMES[(h >>> 5) % LAST_NAMES.length]!;
  const tagCount = 1 + ((h >>> 9) % 3);
  const tags: string[] = [];
  const firstTag = (h >>> 11) % TAGS.length;
  // steps of 3 over 8 tags never repeat a tag within a record
  for (let t = 0; t < tagCount; t++) tags.push(TAGS[(firstTag + 3 * t) % TAGS.length]!);
  return {
    id,
    name: `${first} ${last}`,
    email: `${first.toLowerCase()}.${last.toLowerCase()}.${id}@example.org`,
    age: 18 + (h % 63),
    city: CITIES[(h >>> 4) % CITIES.length]!,
    address: {
      street: `${1 + (h % 997)} ${STREETS[(h >>> 7) % STREETS.length]!}`,
      zip: String(10_000 + (h % 89_999)),
      country: COUNTRIES[(h >>> 17) % COUNTRIES.length]!,
    },
    tags,
    updated_at: new Date(FIRST_UPDATED_AT_MS + id * 1000).toISOString().replace('.000Z', 'Z'),
  };
}

function baseName(count: number): string {
  return `users-${count}.v${FORMAT_VERSION}`;
}

/** Writes both files under temporary names and renames them last, so a killed run leaves no half file. */
function generate(
  count: number,
  recordsFile: string,
  dataFile: string,
): { bytes: number; expected: TableChecksum } {
  const records = openSync(`${recordsFile}.partial`, 'w');
  const data = openSync(`${dataFile}.partial`, 'w');
  let bytes = 0;
  let sumAge = 0;
  let sumNameLength = 0;
  try {
    for (let start = 1; start <= count; start += RECORDS_PER_WRITE) {
      const end = Math.min(count, start + RECORDS_PER_WRITE - 1);
      let recordChunk = '';
      let dataChunk = '';
      for (let id = start; id <= end; id++) {
        const user = userRecord(id);
        sumAge += user.age;
        sumNameLength += user.name.length;
        const json = JSON.stringify(user);
        dataChunk += `${json}\n`;
        recordChunk += `{"type":"RECORD","record":{"stream":"users","data":${json},"emitted_at":${EMITTED_AT}}}\n`;
      }
      bytes += Buffer.byteLength(recordChunk);
      writeSync(records, recordChunk);
      writeSync(data, dataChunk);
    }
  } finally {
    closeSync(records);
    closeSync(data);
  }
  renameSync(`${recordsFile}.partial`, recordsFile);
  renameSync(`${dataFile}.partial`, dataFile);
  const expected: TableChecksum = {
    rows: count,
    sumId: (count * (count + 1)) / 2,
    distinctEmails: count,
    sumAge,
    sumNameLength,
  };
  return { bytes, expected };
}

export function prepareRecords(outDir: string, count: number): PreparedRecords {
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, baseName(count));
  const recordsFile = `${base}.records.jsonl`;
  const dataFile = `${base}.data.jsonl`;
  const manifestFile = `${base}.json`;
  if (existsSync(recordsFile) && existsSync(dataFile) && existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      bytes: number;
      expected: TableChecksum;
    };
    return {
      count,
      recordsFile,
      dataFile,
      bytesPerRecord: manifest.bytes / count,
      expected: manifest.expected,
      cached: true,
    };
  }
  const { bytes, expected } = generate(count, recordsFile, dataFile);
  writeFileSync(manifestFile, `${JSON.stringify({ count, bytes, expected }, null, 2)}\n`);
  return { count, recordsFile, dataFile, bytesPerRecord: bytes / count, expected, cached: false };
}
