// How the CLI ends. Once a verb has returned, everything it printed has gone out through write(2)
// (output.ts) and the --log file was appended synchronously, so the process ends with _exit(2):
// Node's own teardown — freeing the heap page by page, joining its threads, putting back every
// signal disposition — cost ~3 ms of each call on the reference machine, and the kernel releases
// all of it anyway (runc, a Go program, exits the same way). 'exit' listeners still run: the
// launcher writes a code cache to the user's cache directory in one when the package's was stale.
// When output had to go through process.stdout or process.stderr (a full non-blocking pipe, or a
// warning Node printed), Node's ordinary exit drains them and puts back the flags it changed on
// fds 0-2; so it does when a profile or coverage is to be written at exit.
import { processExit } from '../../bindings/libc.js';
import { usedStreams } from './output.js';

export function endProcess(code: number): void {
  process.exitCode = code;
  const exit = usedStreams() || writesAtExit() ? undefined : processExit();
  if (!exit) return;
  // What process.exit() does before Node's teardown: listeners may still change the code.
  (process as { _exiting?: boolean })._exiting = true;
  process.emit('exit', code);
  exit(Number(process.exitCode ?? code));
}

/** Node was asked for something it writes while it exits: a CPU or heap profile, V8 coverage. */
function writesAtExit(): boolean {
  const options = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return process.env.NODE_V8_COVERAGE !== undefined || /--(cpu-prof|heap-prof|prof)\b/.test(options);
}
