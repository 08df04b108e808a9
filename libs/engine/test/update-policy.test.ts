import { describe, expect, it } from 'vitest';
import {
  classify,
  DEFAULT_POLICY,
  type DecisionInput,
  decideUpdate,
  type PublishedVersion,
  speaksProtocol,
} from '../src/index.js';

const v = (version: string, extra: Partial<PublishedVersion> = {}): PublishedVersion => ({
  version,
  breakingChanges: {},
  ...extra,
});

const decide = (current: string, versions: PublishedVersion[], more: Partial<DecisionInput> = {}) =>
  decideUpdate({
    current,
    versions,
    policy: DEFAULT_POLICY,
    approved: new Set(),
    refused: new Set(),
    pinned: false,
    ...more,
  });

describe('classify', () => {
  it('follows caret compatibility, so a 0.x minor is breaking', () => {
    expect(classify('1.2.3', '1.2.4')).toBe('patch');
    expect(classify('1.2.3', '1.3.0')).toBe('minor');
    expect(classify('1.2.3', '2.0.0')).toBe('major');
    expect(classify('0.1.0', '0.1.5')).toBe('patch');
    expect(classify('0.1.0', '0.2.0')).toBe('major');
  });
});

describe('decideUpdate', () => {
  it('applies the newest patch or minor by default', () => {
    expect(decide('1.0.0', [v('1.0.0'), v('1.0.1'), v('1.1.0')]).apply?.version).toBe('1.1.0');
  });

  it('with auto: patch, takes the newest patch of the same minor, not the minor', () => {
    const d = decide('1.0.0', [v('1.0.1'), v('1.0.2'), v('1.1.0')], {
      policy: { ...DEFAULT_POLICY, auto: 'patch' },
    });
    expect(d.apply?.version).toBe('1.0.2');
  });

  it('with auto: none, applies nothing and says why', () => {
    const d = decide('1.0.0', [v('1.0.1')], { policy: { ...DEFAULT_POLICY, auto: 'none' } });
    expect(d.apply).toBeUndefined();
    expect(d.held?.reason).toMatch(/auto: none/);
  });

  it('holds a major until it is approved, while still applying a compatible update', () => {
    const breaking = {
      '2.0.0': {
        message: 'orders.total is now cents',
        affectedStreams: ['orders'],
        migration: 'refresh orders',
      },
    };
    const versions = [v('1.0.1'), v('2.0.0', { breakingChanges: breaking })];
    const held = decide('1.0.0', versions);
    expect(held.apply?.version).toBe('1.0.1');
    expect(held.held).toMatchObject({ version: '2.0.0', change: 'major' });
    expect(held.held?.reason).toMatch(/2\.0\.0: orders\.total is now cents.*conveyor connectors approve/);
    expect(held.held?.breaking).toEqual([{ version: '2.0.0', ...breaking['2.0.0'] }]);
    const approved = decide('1.0.0', versions, { approved: new Set(['2.0.0']) });
    expect(approved.apply).toMatchObject({ version: '2.0.0', change: 'major' });
  });

  it('treats a declared breaking change as major even when the number says minor', () => {
    const d = decide('1.0.0', [
      v('1.1.0', { breakingChanges: { '1.1.0': { message: 'x', affectedStreams: [], migration: '' } } }),
    ]);
    expect(d.apply).toBeUndefined();
    expect(d.held?.change).toBe('major');
  });

  it('a breaking change declared by an intermediate version counts even if a later one forgot it', () => {
    const versions = [
      v('1.1.0', {
        breakingChanges: {
          '1.1.0': { message: 'ids are strings', affectedStreams: ['users'], migration: '' },
        },
      }),
      v('1.1.1'),
    ];
    const d = decide('1.0.0', versions, { package: '@x/source-a' });
    expect(d.apply).toBeUndefined();
    expect(d.held).toMatchObject({ version: '1.1.1', change: 'major' });
    expect(d.held?.reason).toMatch(
      /1\.1\.0: ids are strings.*conveyor connectors approve @x\/source-a@1\.1\.1/,
    );
  });

  it('applies a major after its deadline only when the policy says so', () => {
    const versions = [
      v('2.0.0', {
        breakingChanges: {
          '2.0.0': { message: 'x', affectedStreams: [], migration: '', deadline: '2026-01-01' },
        },
      }),
    ];
    const now = new Date('2026-06-01');
    expect(decide('1.0.0', versions, { now }).apply).toBeUndefined();
    const after = decide('1.0.0', versions, { now, policy: { auto: 'minor', major: 'after-deadline' } });
    expect(after.apply?.reason).toMatch(/deadline has passed/);
    const before = decide('1.0.0', versions, {
      now: new Date('2025-06-01'),
      policy: { auto: 'minor', major: 'after-deadline' },
    });
    expect(before.apply).toBeUndefined();
  });

  it('never applies refused, deprecated or prerelease versions', () => {
    const d = decide(
      '1.0.0',
      [v('1.0.1'), v('1.0.2', { deprecated: 'broken' }), v('1.0.3-beta.1'), v('1.0.4')],
      {
        refused: new Set(['1.0.4']),
      },
    );
    expect(d.apply?.version).toBe('1.0.1');
  });

  it('a pinned connector takes nothing and says it is pinned', () => {
    const d = decide('1.0.0', [v('1.0.1')], { pinned: true });
    expect(d.apply).toBeUndefined();
    expect(d.held?.reason).toMatch(/pinned/);
  });

  it('holds a version that speaks another protocol major', () => {
    expect(speaksProtocol('0.9.0', '0.5.2')).toBe(true);
    expect(speaksProtocol('1.0.0', '0.5.2')).toBe(false);
    const d = decide('1.0.0', [v('1.0.1', { protocolVersion: '1.0.0' })], { protocolVersion: '0.5.2' });
    expect(d.apply).toBeUndefined();
    expect(d.held?.reason).toMatch(/speaks protocol 1\.0\.0.*upgrade Conveyor first/);
  });

  it('has nothing to say when nothing is newer', () => {
    expect(decide('1.0.0', [v('0.9.0'), v('1.0.0')])).toEqual({});
  });
});
