#!/usr/bin/env node
// The `conveyor` command. This file is committed (not built) so that npm links the command at
// install time, before the first build; the CLI itself is dist/main.js.
import '../dist/main.js';
