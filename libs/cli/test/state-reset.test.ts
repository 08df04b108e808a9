import type { StateMessage } from '@conveyor/protocol';
import { describe, expect, it } from 'vitest';
import { resolveStreams, withoutStreams } from '../src/state-reset.js';

const stream = (name: string): StateMessage => ({
  type: 'STREAM',
  stream: { stream_descriptor: { name }, stream_state: { c: 1 } },
});

describe('withoutStreams', () => {
  it('drops the named streams, whether per-stream or inside a GLOBAL state', () => {
    const global: StateMessage = {
      type: 'GLOBAL',
      global: {
        shared_state: { lsn: 42 },
        stream_states: [
          { stream_descriptor: { name: 'a' }, stream_state: { c: 1 } },
          { stream_descriptor: { name: 'b', namespace: 'crm' }, stream_state: { c: 2 } },
        ],
      },
    };
    expect(withoutStreams([stream('a'), stream('x')], new Set(['a']))).toEqual([stream('x')]);
    expect(withoutStreams([global], new Set(['crm.b']))).toEqual([
      {
        type: 'GLOBAL',
        global: {
          shared_state: { lsn: 42 },
          stream_states: [{ stream_descriptor: { name: 'a' }, stream_state: { c: 1 } }],
        },
      },
    ]);
  });
});

describe('resolveStreams', () => {
  const inShop = (name: string): StateMessage => ({
    type: 'STREAM',
    stream: { stream_descriptor: { name, namespace: 'shop' }, stream_state: { c: 1 } },
  });
  const states = [inShop('orders'), inShop('users'), stream('users')];

  it('takes a full key, or a bare name that one stream with state has', () => {
    expect([...resolveStreams('c', ['shop.orders'], states)]).toEqual(['shop.orders']);
    expect([...resolveStreams('c', ['orders'], states)]).toEqual(['shop.orders']);
    expect([...resolveStreams('c', ['users'], states)]).toEqual(['users']);
  });

  it('refuses a name with no state, listing the streams that have one', () => {
    expect(() => resolveStreams('c', ['Orders'], states)).toThrow(
      'Connection c has no state for stream "Orders". Streams with state: shop.orders, shop.users, users.',
    );
  });

  it('refuses a bare name two namespaces share', () => {
    const two = [
      inShop('orders'),
      {
        ...inShop('orders'),
        stream: { ...inShop('orders').stream!, stream_descriptor: { name: 'orders', namespace: 'crm' } },
      },
    ];
    expect(() => resolveStreams('c', ['orders'], two as StateMessage[])).toThrow(
      /"orders" of connection c is ambiguous: shop.orders, crm.orders/,
    );
  });
});
