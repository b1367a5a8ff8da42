#!/usr/bin/env node
// The ocirun command line: a thin layer over the library. Each verb lives in commands/<verb>.ts
// and is imported only when it runs, so start-up pays for one command, not all of them.
import { endProcess } from './exit.js';
import { run } from './program.js';

run(process.argv.slice(2)).then(endProcess);
