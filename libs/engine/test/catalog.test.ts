import type { Catalog } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { configureCatalog } from '../src/index.js';

const catalog: Catalog = {
  streams: [
    {
      name: 'users',
      json_schema: {
        type: 'object',
        properties: { id: { type: 'integer' }, updated_at: { type: 'string' } },
      },
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['updated_at'],
      source_defined_primary_key: [['id']],
    },
    {
      name: 'events',
      json_schema: { type: 'object', properties: { at: { type: 'string' } } },
      supported_sync_modes: ['full_refresh', 'incremental'],
    },
    {
      name: 'lookup',
      json_schema: { type: 'object', properties: {} },
      supported_sync_modes: ['full_refresh'],
    },
  ],
};

describe('configureCatalog', () => {
  it('picks the best mode each stream supports when no streams are listed', () => {
    const modes = configureCatalog(catalog, undefined).streams.map((s) => [
      s.stream.name,
      s.sync_mode,
      s.destination_sync_mode,
    ]);
    expect(modes).toEqual([
      ['users', 'incremental', 'append_dedup'],
      ['events', 'full_refresh', 'overwrite'],
      ['lookup', 'full_refresh', 'overwrite'],
    ]);
  });

  it('falls back to append when the destination cannot dedup', () => {
    const [users] = configureCatalog(catalog, [{ name: 'users' }], ['append', 'overwrite']).streams;
    expect(users).toMatchObject({ sync_mode: 'incremental', destination_sync_mode: 'append' });
  });

  it('takes a user cursor and primary key for streams without source-defined ones', () => {
    const [events] = configureCatalog(catalog, [
      {
        name: 'events',
        sync_mode: 'incremental',
        cursor_field: 'at',
        destination_sync_mode: 'append_dedup',
        primary_key: 'at',
      },
    ]).streams;
    expect(events).toMatchObject({
      cursor_field: ['at'],
      primary_key: [['at']],
      destination_sync_mode: 'append_dedup',
    });
  });

  it.each([
    [
      [{ name: 'nope' }],
      /Stream "nope" is not offered by the source. Available streams: users, events, lookup/,
    ],
    [
      [{ name: 'lookup', sync_mode: 'incremental' as const }],
      /stream "lookup" does not support sync_mode incremental/,
    ],
    [
      [{ name: 'events', sync_mode: 'incremental' as const }],
      /stream "events" is incremental but has no cursor/,
    ],
    [
      [{ name: 'events', sync_mode: 'incremental' as const, cursor_field: 'missing' }],
      /cursor_field "missing" is not a field/,
    ],
    [
      [{ name: 'lookup', destination_sync_mode: 'append_dedup' as const }],
      /append_dedup, which needs a primary key/,
    ],
    [
      [{ name: 'users', sync_mode: 'incremental' as const, destination_sync_mode: 'overwrite' as const }],
      /incremental with overwrite would replace the table with only the new records/,
    ],
  ])('explains a bad selection %#', (selection, message) => {
    expect(() => configureCatalog(catalog, selection)).toThrow(message);
  });

  it('refuses a mode the destination does not support', () => {
    expect(() =>
      configureCatalog(catalog, [{ name: 'users', destination_sync_mode: 'append_dedup' }], ['append']),
    ).toThrow(/destination does not support destination_sync_mode append_dedup/);
  });
});
