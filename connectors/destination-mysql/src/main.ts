#!/usr/bin/env node
import { runConnector } from '@conveyor/cdk';
import { destination } from './index.js';

await runConnector(destination);
