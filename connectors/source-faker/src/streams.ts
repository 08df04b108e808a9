// The three faker streams: their schemas and their batch generators. Record `i` of a stream is a
// pure function of (seed, stream, i); `updated_at` is an affine function of `i`, so it is a
// unique, strictly increasing cursor and a cursor value maps straight back to an index.

import type { AirbyteStream, JsonObject } from '@conveyor/protocol';
import { isoFromEpochSeconds } from './iso-time.js';
import { RecordRandom, streamSalt } from './random.js';
import {
  CITIES,
  EMAIL_AT_DOMAINS,
  EMAIL_LOCAL_PARTS,
  FULL_NAMES,
  PRODUCT_ADJECTIVES,
  PRODUCT_CATEGORIES,
  PRODUCT_NOUNS,
  STREET_ADDRESSES,
  TAGS,
} from './vocabulary.js';

export const CURSOR_FIELD = 'updated_at';
export const PRODUCT_COUNT = PRODUCT_ADJECTIVES.length * PRODUCT_NOUNS.length;

const DAY = 86_400;
const EPOCH_2024 = 1_704_067_200; // 2024-01-01T00:00:00Z
const EPOCH_2023_06 = 1_685_577_600; // 2023-06-01T00:00:00Z

export interface FakerStream {
  readonly name: string;
  readonly jsonSchema: JsonObject;
  /** Number of records the stream holds for the configured `count`. */
  total(count: number): number;
  /** Epoch seconds of record 0's `updated_at` and the distance between consecutive records. */
  readonly firstUpdatedAt: number;
  readonly updatedAtStep: number;
  /** Builds records [start, end) into a new array; the returned function reuses one generator. */
  generator(seed: number): (start: number, end: number) => JsonObject[];
}

const integer = { type: 'integer' } as const;
const string = { type: 'string' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

const usersSchema: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'email', 'age', 'address', 'tags', 'created_at', 'updated_at'],
  properties: {
    id: integer,
    name: string,
    email: string,
    age: integer,
    address: {
      type: 'object',
      additionalProperties: false,
      required: ['street', 'city', 'zip', 'country'],
      properties: { street: string, city: string, zip: string, country: string },
    },
    tags: { type: 'array', items: string },
    created_at: dateTime,
    updated_at: dateTime,
  },
};

const productsSchema: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'category', 'price', 'created_at', 'updated_at'],
  properties: {
    id: integer,
    name: string,
    category: string,
    price: { type: 'number' },
    created_at: dateTime,
    updated_at: dateTime,
  },
};

const purchasesSchema: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'user_id', 'product_id', 'quantity', 'purchased_at', 'updated_at'],
  properties: {
    id: integer,
    user_id: integer,
    product_id: integer,
    quantity: integer,
    purchased_at: dateTime,
    updated_at: dateTime,
  },
};

const users: FakerStream = {
  name: 'users',
  jsonSchema: usersSchema,
  total: (count) => count,
  firstUpdatedAt: EPOCH_2024,
  updatedAtStep: 1,
  generator(seed) {
    const random = new RecordRandom(seed, streamSalt('users'));
    return (start, end) => {
      const records: JsonObject[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        random.seek(i);
        const id = i + 1;
        const person = random.below(FULL_NAMES.length);
        const place = CITIES[random.below(CITIES.length)]!;
        // An odd stride through 16 tags never repeats a tag within one record.
        const tagCount = random.below(4);
        const tagStart = random.below(TAGS.length);
        const tagStride = 2 * random.below(8) + 1;
        const tags: string[] = new Array(tagCount);
        for (let t = 0; t < tagCount; t++) tags[t] = TAGS[(tagStart + t * tagStride) % TAGS.length]!;
        const updatedAt = EPOCH_2024 + i;
        records[i - start] = {
          id,
          name: FULL_NAMES[person]!,
          // The id keeps emails unique; everything else comes from prebuilt tables (no garbage).
          email: EMAIL_LOCAL_PARTS[person]! + id + random.pick(EMAIL_AT_DOMAINS),
          age: 18 + random.below(70),
          address: {
            street: random.pick(STREET_ADDRESSES),
            city: place[0],
            zip: String(10_000 + random.below(90_000)),
            country: place[1],
          },
          tags,
          created_at: isoFromEpochSeconds(updatedAt - random.below(3 * 365 * DAY)),
          updated_at: isoFromEpochSeconds(updatedAt),
        };
      }
      return records;
    };
  },
};

const products: FakerStream = {
  name: 'products',
  jsonSchema: productsSchema,
  total: () => PRODUCT_COUNT,
  firstUpdatedAt: EPOCH_2023_06,
  updatedAtStep: 3600,
  generator(seed) {
    const random = new RecordRandom(seed, streamSalt('products'));
    return (start, end) => {
      const records: JsonObject[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        random.seek(i);
        // Every adjective meets every noun once, so the 100 names are unique.
        const noun = i % PRODUCT_NOUNS.length;
        const adjective = ((i / PRODUCT_NOUNS.length) | 0) % PRODUCT_ADJECTIVES.length;
        const updatedAt = EPOCH_2023_06 + i * 3600;
        records[i - start] = {
          id: i + 1,
          name: PRODUCT_ADJECTIVES[adjective]! + ' ' + PRODUCT_NOUNS[noun]!,
          category: PRODUCT_CATEGORIES[noun % PRODUCT_CATEGORIES.length]!,
          price: (499 + random.below(50_000)) / 100,
          created_at: isoFromEpochSeconds(updatedAt - random.below(365 * DAY)),
          updated_at: isoFromEpochSeconds(updatedAt),
        };
      }
      return records;
    };
  },
};

const purchases: FakerStream = {
  name: 'purchases',
  jsonSchema: purchasesSchema,
  total: (count) => count,
  firstUpdatedAt: EPOCH_2024,
  updatedAtStep: 1,
  generator(seed) {
    const random = new RecordRandom(seed, streamSalt('purchases'));
    return (start, end) => {
      const records: JsonObject[] = new Array(end - start);
      for (let i = start; i < end; i++) {
        random.seek(i);
        const updatedAt = EPOCH_2024 + i;
        records[i - start] = {
          id: i + 1,
          // Purchase i is made by one of the first i+1 users: they exist for any count (there are
          // as many purchases as users), and the record does not change when count grows.
          user_id: 1 + random.below(i + 1),
          product_id: 1 + random.below(PRODUCT_COUNT),
          quantity: 1 + random.below(5),
          purchased_at: isoFromEpochSeconds(updatedAt - random.below(30 * DAY)),
          updated_at: isoFromEpochSeconds(updatedAt),
        };
      }
      return records;
    };
  },
};

export const FAKER_STREAMS: readonly FakerStream[] = [users, products, purchases];

export function findStream(name: string): FakerStream | undefined {
  return FAKER_STREAMS.find((s) => s.name === name);
}

/** `updated_at` of record `index`. */
export function cursorAt(stream: FakerStream, index: number): string {
  return isoFromEpochSeconds(stream.firstUpdatedAt + index * stream.updatedAtStep);
}

/** Index of the first record whose `updated_at` is strictly after `cursorMs` (epoch ms). */
export function firstIndexAfter(stream: FakerStream, cursorMs: number): number {
  const elapsed = cursorMs / 1000 - stream.firstUpdatedAt;
  if (elapsed < 0) return 0;
  return Math.floor(elapsed / stream.updatedAtStep) + 1;
}

export function airbyteStream(stream: FakerStream): AirbyteStream {
  return {
    name: stream.name,
    json_schema: stream.jsonSchema,
    supported_sync_modes: ['full_refresh', 'incremental'],
    source_defined_cursor: true,
    default_cursor_field: [CURSOR_FIELD],
    source_defined_primary_key: [['id']],
    is_resumable: true,
  };
}
