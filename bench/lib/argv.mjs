// Command-line options of bench/run.mjs.
const HELP = `usage: npm run bench -- [options]
  --runtime NAME     a peer CLI to compare (repeatable; default: runc and crun)
  --runs N           sequential create→start→wait→delete runs per runtime (default 30)
  --parallel LIST    parallel batch sizes (default 10,50)
  --batches N        parallel batches per runtime and size (default 2)
  --exec-runs N      exec runs per runtime (default 20)
  --mem-runs N       create runs sampled for peak memory (default 5)
  --only LIST        lifecycle,seccomp,parallel,exec,memory,startup (default: all)
  --publish          also write bench/RESULTS.json and bench/latency.svg
  --rechart          print and write the outputs again from bench/results/latest.json`;

export function parseArgs(argv) {
  const o = {
    runtimes: [], runs: 30, parallel: [10, 50], batches: 2, execRuns: 20, memRuns: 5,
    only: new Set(['lifecycle', 'seccomp', 'parallel', 'exec', 'memory', 'startup']), publish: false, rechart: false,
  };
  const num = (i) => {
    const v = Number(argv[i]);
    if (!Number.isInteger(v) || v < 1) throw new Error(`${argv[i - 1]}: expected a positive integer, got ${argv[i]}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--runtime') o.runtimes.push(argv[++i]);
    else if (a === '--runs') o.runs = num(++i);
    else if (a === '--parallel') o.parallel = argv[++i].split(',').map(Number).filter((n) => n > 0);
    else if (a === '--batches') o.batches = num(++i);
    else if (a === '--exec-runs') o.execRuns = num(++i);
    else if (a === '--mem-runs') o.memRuns = num(++i);
    else if (a === '--only') o.only = new Set(argv[++i].split(','));
    else if (a === '--publish') o.publish = true;
    else if (a === '--rechart') o.rechart = true;
    else if (a === '-h' || a === '--help') {
      console.log(HELP);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${HELP}`);
  }
  if (!o.runtimes.length) o.runtimes = ['runc', 'crun'];
  return o;
}
