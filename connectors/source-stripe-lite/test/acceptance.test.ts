// The acceptance kit on this package, from the inputs and outputs in its acceptance.yml (HTTP
// replayed from acceptance/cassette.json). It runs the built bin: `npm run build` first.
import { expectAcceptance } from '@conveyor/testing';
import { it } from 'vitest';

it('passes the acceptance kit', () => expectAcceptance(new URL('..', import.meta.url)), 180_000);
