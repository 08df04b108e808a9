// The Stripe (lite) manifest against recorded Stripe-shaped exchanges: what it sends (paths,
// limit and starting_after, the bearer key), what it reads, and what a rejected key looks like.

import { validateConfig } from '@conveyor/cdk';
import { readExchanges, replayTransport } from '@conveyor/http';
import { readAll, readContext, sourceCatalog } from '@conveyor/testing';
import { describe, expect, it } from 'vitest';
import { loadSource } from '../src/index.js';

/** The recorded exchanges in test/fixtures/<name>.json. */
const fixture = (name: string) => readExchanges(new URL(`./fixtures/${name}.json`, import.meta.url));

const KEY = 'sk_test_51FixtureKey0000000000000000000000002222';
const config = { secret_key: KEY };

describe('reading', () => {
  it('pages through customers with starting_after = the last id while has_more, sending the key as a bearer token', async () => {
    const transport = replayTransport(fixture('customers'));
    const source = await loadSource({ transport });
    const read = await readAll(source, config, sourceCatalog(['customers']));

    expect(read.error).toBeUndefined();
    expect(read.records.customers?.map((c) => c.id)).toEqual(['cus_Q3', 'cus_Q2', 'cus_Q1']);
    expect(read.records.customers?.[0]).toMatchObject({
      email: 'ada@example.com',
      metadata: { plan: 'team' },
    });
    const urls = transport.requests.map((r) => new URL(r.url));
    expect(urls.map((u) => u.pathname)).toEqual(['/v1/customers', '/v1/customers']);
    expect(urls.map((u) => Object.fromEntries(u.searchParams))).toEqual([
      { limit: '100' },
      { limit: '100', starting_after: 'cus_Q2' },
    ]);
    for (const request of transport.requests) expect(request.headers.Authorization).toBe(`Bearer ${KEY}`);
    // full refresh: nothing to checkpoint
    expect(read.states).toEqual([]);
  });

  it('reads every stream of the catalog, one after the other', async () => {
    const transport = replayTransport([...fixture('customers'), ...fixture('charges')]);
    const read = await readAll(
      await loadSource({ transport }),
      config,
      sourceCatalog(['customers', 'charges']),
    );

    expect(read.error).toBeUndefined();
    const page = fixture('charges')[0]?.response.json as { data: unknown[] };
    expect(read.records.charges).toEqual(page.data);
    expect(read.records.charges?.map((c) => [c.id, c.amount, c.status])).toEqual([
      ['ch_3B', 2000, 'succeeded'],
      ['ch_3A', 990, 'failed'],
    ]);
    expect(transport.requests.at(-1)?.url).toBe('https://api.stripe.com/v1/charges?limit=100');
  });

  it('never writes the key to a log line', async () => {
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('customers')) }),
      config,
      sourceCatalog(['customers']),
    );
    expect(read.logs.join('\n')).not.toContain(KEY);
  });
});

describe('discover and spec', () => {
  it('offers customers and charges, full refresh, keyed by id', async () => {
    const catalog = await (await loadSource({ transport: replayTransport([]) })).discover(
      config,
      readContext(),
    );
    expect(
      catalog.streams.map((s) => [s.name, s.supported_sync_modes, s.source_defined_primary_key]),
    ).toEqual([
      ['customers', ['full_refresh'], [['id']]],
      ['charges', ['full_refresh'], [['id']]],
    ]);
  });

  it('takes secret and restricted keys, marks them secret, and refuses a publishable key', async () => {
    const spec = (await loadSource()).spec();
    expect(spec.connectionSpecification).toMatchObject({
      properties: { secret_key: { airbyte_secret: true } },
    });
    expect(validateConfig(spec, { secret_key: 'rk_live_abc123' })).toEqual({ secret_key: 'rk_live_abc123' });
    expect(() => validateConfig(spec, { secret_key: 'pk_live_abc123' })).toThrow(/secret_key/);
  });
});

describe('a rejected key', () => {
  it('fails check with a message that says what to fix, without the key', async () => {
    const source = await loadSource({ transport: replayTransport(fixture('unauthorized')) });
    const status = await source.check(config, readContext());
    expect(status.status).toBe('FAILED');
    expect(status.message).toMatch(/HTTP 401 \(Stripe rejected the secret key/);
    expect(status.message).not.toContain(KEY);
  });

  it('ends the read with a config error naming the stream, and says so in an ERROR trace', async () => {
    const source = await loadSource({ transport: replayTransport(fixture('unauthorized')) });
    const read = await readAll(source, config, sourceCatalog(['customers', 'charges']));

    expect(read.error?.failureType).toBe('config_error');
    expect(read.error?.stream).toEqual({ name: 'customers' });
    expect(read.error?.userMessage).toMatch(/Stripe rejected the secret key/);
    const traces = JSON.stringify(read.traces);
    expect(traces).toContain('"INCOMPLETE"');
    expect(traces).toMatch(/"failure_type":"config_error"/);
    expect(traces).not.toContain(KEY);
    expect(read.records).toEqual({});
  });
});
