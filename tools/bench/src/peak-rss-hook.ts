// Loaded with `node --import` when /usr/bin/time is missing: at exit, the process writes its own
// resident-memory high-water mark (KiB) to $BENCH_PEAK_RSS_FILE.

import { writeFileSync } from 'node:fs';

const target = process.env.BENCH_PEAK_RSS_FILE;
if (target) process.on('exit', () => writeFileSync(target, String(process.resourceUsage().maxRSS)));
