import { describe, expect, it } from 'vitest';
import { SecretMasker } from '../src/index.js';

describe('SecretMasker', () => {
  const secret = 'sk-live-7f3a9c21e8';
  const masker = new SecretMasker([secret]);

  it('masks the raw, JSON-escaped, URL-encoded and base64 forms', () => {
    for (const form of [secret, encodeURIComponent(`${secret}/x`), Buffer.from(secret).toString('base64')]) {
      expect(masker.mask(`before ${form} after`)).not.toContain(form.slice(0, 12));
    }
  });

  it('masks the secret inside a Basic auth header whatever the user name length', () => {
    for (const user of ['a', 'ab', 'abc', 'admin', 'service-account']) {
      const encoded = Buffer.from(`${user}:${secret}`).toString('base64');
      const masked = masker.mask(`Authorization: Basic ${encoded}`);
      expect(masked, user).toContain('****');
      // the characters that come from the secret alone are gone (the user name's part may stay)
      const fromSecret = encoded.slice(Math.ceil(((user.length + 1) * 8) / 6) + 1, -3);
      expect(fromSecret.length).toBeGreaterThan(12);
      expect(masked, user).not.toContain(fromSecret.slice(0, 12));
    }
  });
});
