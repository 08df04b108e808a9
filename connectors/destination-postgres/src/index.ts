// @conveyor/destination-postgres: bulk loads into PostgreSQL, exactly-once. See README.md.
export type { PostgresDestinationConfig } from './config.js';
export { destination } from './connector.js';

import { destination } from './connector.js';
export default destination;
