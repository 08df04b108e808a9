// @conveyor/destination-sqlite: loads into a SQLite file, exactly-once. See README.md.
export type { SqliteDestinationConfig } from './config.js';
export { destination } from './connector.js';

import { destination } from './connector.js';
export default destination;
