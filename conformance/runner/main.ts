// ocirun-conformance: the OCI runtime-spec conformance suite against any runc-compatible runtime
// binary, from the installed package (no test framework needed: see vitest-shim.ts).
//
//   ocirun-conformance --runtime /usr/sbin/runc [--runtime crun=/usr/bin/crun] [--filter TEXT]
//                      [--json FILE] [--html FILE] [--verbose] [--list]
//
// Each runtime runs in a child process of its own (the suite's modules hold per-run state).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable, parseTitle, toHtml, toJson, type Clause, type Row, type RuntimeRun } from './results.js';
import { beginFile, collected, provide, SkipSignal, type TaskContext } from './vitest-shim.js';
import { loadTests } from 'virtual:conformance-tests';
import clauses from 'virtual:conformance-clauses';

const USAGE = `usage: ocirun-conformance --runtime [NAME=]PATH [--runtime ...] [--filter TEXT] [--json FILE] [--html FILE] [--verbose] [--list]

Runs the OCI runtime-spec v1.3.0 conformance suite against each runtime binary (runc, crun, youki,
ocirun, ... anything with runc's command line), as root, and prints per spec section whether each
clause's test passed, failed or was skipped (with the reason). Needs busybox-static (/bin/busybox,
or BUSYBOX=path) for the container rootfs.

  --runtime [NAME=]PATH  a runtime binary (repeatable; .js/.cjs/.mjs files run with node)
  --filter TEXT          only tests whose ID or name contains TEXT (or matches it as a regex)
  --json FILE            write the results as JSON
  --html FILE            write a self-contained HTML report
  --verbose              print the reason of every failure and skip under its test
  --list                 list the tests and exit
  --timeout SECONDS      bound on one test (default 120)
`;

interface Options {
  runtimes: [string, string][];
  filter?: string;
  json?: string;
  html?: string;
  verbose: boolean;
  list: boolean;
  timeoutMs: number;
  /** internal: run the suite in this process for runtimes[0], write rows to this file */
  childOut?: string;
}

function fail(msg: string): never {
  process.stderr.write(`ocirun-conformance: ${msg}\n${msg.startsWith('usage') ? '' : USAGE}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { runtimes: [], verbose: false, list: false, timeoutMs: 120_000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => argv[++i] ?? fail(`${a} needs a value`);
    if (a === '--runtime') {
      const v = value();
      const at = v.indexOf('=');
      const [name, path] = at > 0 ? [v.slice(0, at), v.slice(at + 1)] : [basename(v).replace(/\.(c|m)?js$/, ''), v];
      o.runtimes.push([name, resolve(path)]);
    } else if (a === '--filter') o.filter = value();
    else if (a === '--json') o.json = resolve(value());
    else if (a === '--html') o.html = resolve(value());
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--list') o.list = true;
    else if (a === '--timeout') o.timeoutMs = Number(value()) * 1000;
    else if (a === '--child-out') o.childOut = value();
    else if (a === '--help' || a === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else fail(`unknown argument ${a}`);
  }
  if (!o.list && o.runtimes.length === 0) fail('no --runtime given');
  if (!(o.timeoutMs > 0)) fail('--timeout needs a positive number of seconds');
  return o;
}

function matcher(filter: string | undefined): (title: string) => boolean {
  if (!filter) return () => true;
  let re: RegExp | undefined;
  try {
    re = new RegExp(filter);
  } catch {
    re = undefined;
  }
  return (title) => title.includes(filter) || (re?.test(title) ?? false);
}

/** Run every selected test in this process against RUNTIME; rows in registration order. */
async function runHere(o: Options): Promise<Row[]> {
  const [, path] = o.runtimes[0]!;
  process.env.RUNTIME = path;
  const { default: setup } = await import('../harness/global-setup.js');
  const teardown = setup({ provide } as never);
  await loadTests(beginFile);
  const wanted = matcher(o.filter);
  const rows: Row[] = [];
  try {
    for (const t of collected) {
      const p = parseTitle(t.name);
      if (!p || !wanted(t.name)) continue;
      const meta: Record<string, unknown> = {};
      const ctx: TaskContext = {
        task: { name: t.name, meta },
        skip: (note?: string) => {
          throw new SkipSignal(note ?? 'skipped');
        },
      };
      const t0 = Date.now();
      let result: Row['result'] = 'pass';
      let reason = '';
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          t.fn(ctx),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`test timed out after ${o.timeoutMs / 1000}s`)), o.timeoutMs);
          }),
        ]);
      } catch (e) {
        if (e instanceof SkipSignal) {
          result = 'skip';
          reason = String(meta.skipReason ?? e.note);
        } else {
          result = 'fail';
          reason = String((e as Error)?.message ?? e).split('\n').filter(Boolean)[0] ?? 'failed';
        }
      } finally {
        clearTimeout(timer);
      }
      rows.push({ id: p.id, name: p.name, where: p.where, file: t.file, result, reason, ms: Date.now() - t0 });
      process.stderr.write(result === 'pass' ? '.' : result === 'fail' ? 'F' : 's');
    }
  } finally {
    process.stderr.write('\n');
    teardown();
  }
  return rows;
}

function versionOf(path: string): string {
  const node = /\.(c|m)?js$/.test(path);
  const r = spawnSync(node ? process.execPath : path, [...(node ? [path] : []), '--version'], { encoding: 'utf8', timeout: 15_000 });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : `--version failed (${(r.stderr || r.error?.message || '').trim().split('\n')[0]})`;
}

async function main(): Promise<void> {
  // output piped into head async function main(): Promise<void> { co.: stop quietly when the reader is gone
  process.stdout.on('error', () => process.exit(0));
  const o = parseArgs(process.argv.slice(2));
  if (o.list) {
    await loadTests(beginFile);
    const wanted = matcher(o.filter);
    for (const t of collected) if (wanted(t.name)) process.stdout.write(`${t.name}\n`);
    return;
  }
  if (o.childOut) {
    writeFileSync(o.childOut, JSON.stringify(await runHere(o)));
    return;
  }
  if (process.getuid?.() !== 0) fail('the suite creates real containers: run it as root');
  const self = fileURLToPath(import.meta.url);
  const work = mkdtempSync(join(tmpdir(), 'ocirun-conformance-'));
  const runs: RuntimeRun[] = [];
  try {
    for (const [name, path] of o.runtimes) {
      if (!existsSync(path)) fail(`runtime ${name}: ${path} does not exist`);
      const out = join(work, `${runs.length}.json`);
      const t0 = Date.now();
      process.stderr.write(`ocirun-conformance: ${name} (${path})\n`);
      const args = [self, '--child-out', out, '--runtime', `${name}=${path}`, '--timeout', String(o.timeoutMs / 1000), ...(o.filter ? ['--filter', o.filter] : [])];
      const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
      if (r.status !== 0 || !existsSync(out)) fail(`the suite did not complete against ${name} (exit ${r.status ?? r.signal})`);
      process.stderr.write(`ocirun-conformance: ${name} done in ${((Date.now() - t0) / 1000).toFixed(0)}s\n`);
      runs.push({ name, path, version: versionOf(path), rows: JSON.parse(readFileSync(out, 'utf8')) as Row[] });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${formatTable(runs, { width: process.stdout.columns || 160, verbose: o.verbose })}\n`);
  const cl = clauses as Record<string, Clause[]>;
  if (o.json) writeFileSync(o.json, toJson(runs, cl));
  if (o.html) writeFileSync(o.html, toHtml(runs, cl));
  if (o.json) process.stdout.write(`wrote ${o.json}\n`);
  if (o.html) process.stdout.write(`wrote ${o.html}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`ocirun-conformance: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
