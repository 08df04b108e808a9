// The acceptance kit on this package, from the inputs and outputs in its acceptance.yml.
import { expectAcceptance } from '@conveyor/testing';
import { it } from 'vitest';

it('passes the acceptance kit', () => expectAcceptance(new URL('..', import.meta.url)), 180_000);
