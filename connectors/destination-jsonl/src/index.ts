export type { JsonlDestinationConfig } from './config.js';
export { destination } from './connector.js';

import { destination } from './connector.js';
export default destination;
