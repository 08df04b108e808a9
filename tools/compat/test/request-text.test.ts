import { describe, expect, it } from 'vitest';
import { requestText } from '../src/diff-step.js';
import type { LoggedRequest } from '../src/mock-server.js';

const window = { from: 0, to: 0 };
const request = (userAgent: string): LoggedRequest => ({
  method: 'GET',
  path: '/api/items',
  query: [['page', '1']],
  body: '',
  headers: { 'user-agent': userAgent, authorization: 'Bearer t' } as LoggedRequest['headers'],
});

describe('requestText', () => {
  it("compares a User-Agent the manifest set, not the one each engine's HTTP client sends by default", () => {
    const headers = ['authorization', 'user-agent'];
    const text = (ua: string) => requestText(request(ua), headers, 'http://127.0.0.1:1', window);
    expect(text('python-requests/2.34.2')).toBe(text('undici'));
    expect(text('python-requests/2.34.2')).toContain('user-agent: <client default>');
    expect(text('*')).toContain('user-agent: *');
    expect(text('*')).not.toBe(text('undici'));
  });
});
