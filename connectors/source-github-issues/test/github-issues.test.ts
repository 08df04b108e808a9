// The GitHub issues manifest against recorded GitHub-shaped exchanges: repositories page by page
// along the Link header, then the issues of each repository as a substream (pull requests left
// out, the repository added to each issue, a repository with issues turned off skipped), and
// what an unknown owner and a spent rate limit look like.

import { readExchanges, replayTransport } from '@conveyor/http';
import { readAll, readContext, sourceCatalog } from '@conveyor/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadSource } from '../src/index.js';

/** The recorded exchanges in test/fixtures/<name>.json. */
const fixture = (name: string) => readExchanges(new URL(`./fixtures/${name}.json`, import.meta.url));

const TOKEN = 'github_pat_11FIXTURE0000000000000000000000';
const config = { owner: 'octo-org', personal_access_token: TOKEN };

afterEach(() => {
  vi.useRealTimers();
});

describe('repositories', () => {
  it('follows the Link header to the next page, with the token and the API version on every request', async () => {
    const transport = replayTransport(fixture('repositories'));
    const read = await readAll(await loadSource({ transport }), config, sourceCatalog(['repositories']));

    expect(read.error).toBeUndefined();
    expect(read.records.repositories?.map((r) => r.full_name)).toEqual([
      'octo-org/hello-world',
      'octo-org/linguist',
      'octo-org/spoon-knife',
    ]);
    expect(transport.requests.map((r) => r.url)).toEqual([
      'https://api.github.com/users/octo-org/repos?type=all&sort=full_name&per_page=100',
      // the next page is the Link header's URL as it is
      'https://api.github.com/user/9919/repos?type=all&sort=full_name&per_page=100&page=2',
    ]);
    for (const request of transport.requests) {
      expect(request.headers).toMatchObject({
        Authorization: `Bearer ${TOKEN}`,
        Accept: 'application/vnd.github+json',
        'X-GitHub-Api-Version': '2022-11-28',
      });
    }
  });
});

describe('issues, a substream of repositories', () => {
  it('reads the issues of each repository, page by page, leaving out pull requests and tagging each issue with its repository', async () => {
    const transport = replayTransport(fixture('issues'));
    const read = await readAll(await loadSource({ transport }), config, sourceCatalog(['issues']));

    expect(read.error).toBeUndefined();
    expect(transport.requests.map((r) => new URL(r.url).pathname)).toEqual([
      '/users/octo-org/repos',
      '/repos/octo-org/hello-world/issues',
      '/repositories/101/issues',
      '/repos/octo-org/linguist/issues',
      '/user/9919/repos',
      '/repos/octo-org/spoon-knife/issues',
    ]);
    expect(new URL(transport.requests[1]!.url).search).toBe('?state=all&direction=asc&per_page=100');
    expect(read.records.issues?.map((i) => [i.repository, i.number, i.title])).toEqual([
      ['octo-org/hello-world', 1, 'Crash on empty input'],
      ['octo-org/hello-world', 3, 'Document the CLI'],
      ['octo-org/hello-world', 4, 'Support Windows paths'],
      ['octo-org/linguist', 1, 'Detect .mts files'],
    ]);
    // only the issues: the parent's records are not emitted as issues, and no stream failed
    expect(read.records.repositories).toBeUndefined();
    expect(JSON.stringify(read.traces)).toContain('"COMPLETE"');
  });

  it('discovers both streams, full refresh, keyed by id', async () => {
    const catalog = await (await loadSource({ transport: replayTransport([]) })).discover(
      config,
      readContext(),
    );
    expect(
      catalog.streams.map((s) => [s.name, s.supported_sync_modes, s.source_defined_primary_key]),
    ).toEqual([
      ['repositories', ['full_refresh'], [['id']]],
      ['issues', ['full_refresh'], [['id']]],
    ]);
  });
});

describe('failures', () => {
  it('an unknown owner is a config error naming the owner, the request and the stream, and fails check', async () => {
    const wrong = { ...config, owner: 'no-such-owner' };
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('owner-not-found')) }),
      wrong,
      sourceCatalog(['issues']),
    );
    expect(read.error?.failureType).toBe('config_error');
    // the parent stream's request failed: the message names it, the request and the cause
    expect(read.error?.userMessage).toMatch(
      /Stream "repositories": GET https:\/\/api\.github\.com\/users\/no-such-owner\/repos got HTTP 404 \(GitHub has no user or organization named "no-such-owner"/,
    );
    const traces = JSON.stringify(read.traces);
    expect(traces).toMatch(/"stream_descriptor":\{"name":"issues"\},"status":"INCOMPLETE"/);
    expect(traces).not.toContain(TOKEN);

    const status = await (await loadSource({ transport: replayTransport(fixture('owner-not-found')) })).check(
      wrong,
      readContext(),
    );
    expect(status).toMatchObject({ status: 'FAILED', message: expect.stringMatching(/no-such-owner/) });
  });

  it('waits for a spent rate limit to reset, then goes on', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-05-01T00:00:00Z')); // the x-ratelimit-reset of the fixture
    const transport = replayTransport(fixture('rate-limited'));
    const read = await readAll(await loadSource({ transport }), config, sourceCatalog(['repositories']));

    expect(read.error).toBeUndefined();
    expect(transport.requests).toHaveLength(3);
    expect(transport.requests[0]?.url).toBe(transport.requests[1]?.url);
    expect(read.records.repositories).toHaveLength(3);
  });

  it('never writes the token to a log line', async () => {
    const read = await readAll(
      await loadSource({ transport: replayTransport(fixture('issues')) }),
      config,
      sourceCatalog(['issues']),
    );
    expect(read.logs.join('\n')).not.toContain(TOKEN);
  });
});
