// Runs a hostile neighbour (racer.mjs) for the length of a race test.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './harness.js';

export interface Racer {
  stop(): Promise<void>;
}

/** Starts `racer.mjs mode a b` and resolves once it is swapping. */
export async function startRacer(mode: 'exchange' | 'rename', a: string, b: string): Promise<Racer> {
  const child = spawn(process.execPath, [join(REPO, 'test/support/racer.mjs'), mode, a, b], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`racer exited (${code}) before it started`)));
  });
  return {
    async stop() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
