// The ocirun command line: a thin layer over the library. Each verb lives in commands/<verb>.ts
// and is imported only when it runs, so start-up pays for one command, not all of them. The
// launcher (dist/cli/ocirun.cjs) calls main(); the build calls run() to fill the code caches.
import { endProcess } from './exit.js';
import { run } from './program.js';

/** Runs a command line and ends the process with its exit code. */
export function main(argv: string[]): void {
  run(argv).then(endProcess);
}

export { run };
