#!/usr/bin/env node
import { runConnector } from '@conveyor/cdk';
import { source } from './index.js';

await runConnector(source);
