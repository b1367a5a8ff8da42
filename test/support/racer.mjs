// A hostile neighbour for race tests: swaps two paths with renameat2(RENAME_EXCHANGE) as fast as
// it can, or renames one path back and forth (`rename A B`), until killed.
// Usage: racer.mjs exchange A B | racer.mjs rename A B
import koffi from 'koffi';

const [mode, a, b] = process.argv.slice(2);
const libc = koffi.load('libc.so.6');
const renameat2 = libc.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)');
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;
process.stdout.write('ready\n');
if (mode === 'exchange') {
  for (;;) renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
} else {
  for (;;) {
    renameat2(AT_FDCWD, a, AT_FDCWD, b, 0);
    renameat2(AT_FDCWD, b, AT_FDCWD, a, 0);
  }
}
