#!/usr/bin/env node
// The `cluster-actions` command (package.json `bin`): a client of the service's HTTP API, never of its code.
import { main } from './program.js';

process.exitCode = await main(process.argv);
