// Reading a response body as text or JSON. A body that should be JSON and is not (an HTML error
// page from a proxy, a login form) fails with a message that names the request and shows the start
// of what came back, masked, instead of a bare SyntaxError.

import { systemError } from '@conveyor/protocol';
import { bodySnippet, describeRequest, requestMasker } from './errors.js';
import type { HttpResponse } from './types.js';

const decoder = new TextDecoder();

/** The body as UTF-8 text. */
export function responseText(response: HttpResponse): string {
  return decoder.decode(response.body);
}

/** The body parsed as JSON; an empty body is `undefined`. */
export function responseJson(response: HttpResponse, options: { stream?: string } = {}): unknown {
  const text = responseText(response);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    const type = response.headers['content-type'] ?? 'no content type';
    const snippet = bodySnippet(response, requestMasker(response.request));
    throw systemError(
      `${options.stream ? `Stream "${options.stream}": ` : ''}${describeRequest(response.request)} answered HTTP ${response.status} (${type}) with a body that is not JSON: "${snippet}". Check the base URL and path: an HTML page usually means a login page, a proxy or the wrong address.`,
    );
  }
}
