// Runs one container through the library API (Runtime.run), in its own process so the test can
// capture the container's stdout/stderr. Usage: library-run.mjs <root> <id> <bundle>
// Exit code: the container's (128 + the signal's number when a signal ended it); 125 when the
// library throws (its message on stderr).
import { constants } from 'node:os';
import { Runtime } from '../../dist/lib/index.js';

const [root, id, bundle] = process.argv.slice(2);
const rt = new Runtime({ root, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
let code = 125;
let container;
try {
  container = await rt.run(id, bundle);
  const status = await container.wait();
  code = status.code ?? 128 + constants.signals[status.signal];
} catch (err) {
  process.stderr.write(`${err.code ?? 'ERROR'}: ${err.message}\n`);
} finally {
  await container?.delete({ force: true }).catch(() => {});
}
process.exit(code);
