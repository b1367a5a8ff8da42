// Runs one container through the library API (Runtime.run), in its own process so the test can
// capture the container's stdout/stderr. Usage: library-run.mjs <root> <id> <bundle>
// Exit code: the container's; 125 when the library throws (its message on stderr).
import { Runtime } from '../../dist/lib/lifecycle/runtime.js';

const [root, id, bundle] = process.argv.slice(2);
const rt = new Runtime({ root, warn: (m) => process.stderr.write(`warning: ${m}\n`) });
let code = 125;
try {
  const handle = await rt.run(id, bundle);
  code = (await handle.wait()).code;
} catch (err) {
  process.stderr.write(`${err.code ?? 'ERROR'}: ${err.message}\n`);
} finally {
  await rt.delete(id, { force: true }).catch(() => {});
}
process.exit(code);
