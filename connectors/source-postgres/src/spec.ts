import { readFileSync } from 'node:fs';
import type { ConnectorSpecification } from '@conveyor/protocol';

// Read from src/ both when running from dist/ and from sources (tests); the package ships src/spec.json.
export const SPEC = JSON.parse(
  readFileSync(new URL('../src/spec.json', import.meta.url), 'utf8'),
) as ConnectorSpecification;
