// Response filters as the reference applies them: `error_message_contains` looks at the answer's
// error message (a JSON body's message/error/errors/detail... fields, any other body's text), never
// at a page of records that happens to contain the same characters.

import type { HttpResponse } from '@conveyor/http';
import { describe, expect, it } from 'vitest';
import { errorHandlingFrom, errorMessageOf } from '../../src/runtime/error-handling.js';

function answer(
  status: number,
  body: string,
  url = 'https://u:p@api.example.com/v1/items?key=secret#x',
): HttpResponse {
  return {
    status,
    headers: {},
    body: new TextEncoder().encode(body),
    request: { method: 'GET', url, headers: {} },
  } as HttpResponse;
}

describe('error messages of answers', () => {
  it.each([
    ['{"message": "Rate limit 429 hit"}', 'Rate limit 429 hit'],
    ['{"error": {"detail": "quota"}}', 'quota'],
    ['{"errors": [{"msg": "a"}, {"reason": "b"}, 3]}', 'a, b'],
    ['{"message": "", "error": "second"}', 'second'],
    ['{"data": [{"id": 4291}]}', undefined],
    ['plain text 429', 'plain text 429'],
  ])('%s → %s', (body, expected) => {
    expect(errorMessageOf(answer(200, body))).toBe(expected);
  });
});

describe('error_message_contains and request_url', () => {
  const handling = errorHandlingFrom(
    {
      type: 'DefaultErrorHandler',
      response_filters: [
        { type: 'HttpResponseFilter', action: 'RATE_LIMITED', error_message_contains: '429' },
        {
          type: 'HttpResponseFilter',
          action: 'IGNORE',
          predicate: "{{ request_url == 'https://api.example.com/v1/items' and response.skip }}",
        },
      ],
    },
    {},
    {},
  );

  it('retries an answer whose error message says 429, not a page of records holding 4291', () => {
    expect(handling.classify?.(answer(200, '{"message": "429 Too Many"}'), undefined, 1)).toMatchObject({
      action: 'retry',
    });
    const records = handling.classify?.(answer(200, '{"data": [{"id": 4291}]}'), undefined, 1);
    expect(records === undefined || records.action === 'success').toBe(true);
  });

  it('lets a predicate read the request URL without its query, fragment or credentials', () => {
    expect(handling.classify?.(answer(200, '{"skip": true}'), undefined, 1)).toMatchObject({
      action: 'ignore',
    });
  });
});
