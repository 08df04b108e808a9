import { describe, expect, it } from 'vitest';
import { customComponents } from '../src/manifest-model.js';

describe('customComponents', () => {
  it('lists Custom* types and untyped components with a class_name, not built-ins that carry one', () => {
    const manifest = {
      definitions: {
        requester: {
          type: 'HttpRequester',
          class_name: 'ignored.by.the.reference',
          authenticator: { class_name: 'source_declarative_manifest.components.CustomAuthenticator' },
        },
      },
      streams: [{ retriever: { type: 'CustomRetriever', class_name: 'components.R' } }],
    };
    expect(customComponents(manifest)).toEqual(['CustomRetriever', 'authenticator (class_name)']);
    expect(customComponents({ streams: [{ type: 'DeclarativeStream' }] })).toEqual([]);
  });
});
