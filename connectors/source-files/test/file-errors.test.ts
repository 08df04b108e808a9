import { describe, expect, it } from 'vitest';
import { fileError } from '../src/formats/open-file.js';

// Permission errors cannot be provoked in a test running as root; the mapping itself is checked here.
describe('file read errors', () => {
  it.each([
    ['EACCES', 'config_error', 'permission denied'],
    ['ENOENT', 'transient_error', 'disappeared'],
    ['EISDIR', 'config_error', 'is a directory'],
    ['EIO', 'system_error', 'EIO'],
  ])('%s is a %s naming the file', (code, failureType, text) => {
    const error = fileError('/data/in.csv', Object.assign(new Error(code), { code }));
    expect(error.failureType).toBe(failureType);
    expect(error.userMessage).toContain('"/data/in.csv"');
    expect(error.userMessage).toContain(text);
  });
});
