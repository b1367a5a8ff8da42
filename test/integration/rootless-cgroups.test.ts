// Rootless cgroups, as runc's cgroupfs driver: an unprivileged user, made by this test, gets a
// cgroup for its container only in hierarchies delegated to it (here a cgroup v2 subtree chowned
// to it, as systemd's Delegate= does), limits there are applied, and without delegation the
// container runs without one unless a limit asks for it, which fails naming the field. The user,
// the delegated cgroups, its containers and files are removed afterwards, even when a test fails.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, type RunResult } from '../support/harness.js';
import { BUSYBOX } from '../support/rootfs.js';
import { hostLayout } from '../../lib/cgroups/index.js';

const USER = `ocirc${process.pid % 100000}`;
const unified = hostLayout().hierarchies.find((h) => h.version === 2);
const hugetlb = Boolean(unified?.controllers.includes('hugetlb') && existsSync('/sys/kernel/mm/hugepages/hugepages-2048kB'));
/** The subtree delegated to the user, and the leaf its runtime runs in. */
const DELEGATED = `ocirun-rootless-${process.pid}`;
let uid = 0;
let gid = 0;
let home = '';
let xdg = '';
const ids: string[] = [];
/** Did this file enable hugetlb at the hierarchy's root? Then it disables it again. */
let enabledHugetlb = false;

beforeAll(() => {
  execFileSync('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', USER]);
  uid = Number(execFileSync('id', ['-u', USER]).toString());
  gid = Number(execFileSync('id', ['-g', USER]).toString());
  home = mkdtempSync(join(tmpdir(), 'ocirun-rootless-cg-'));
  chmodSync(home, 0o755);
  xdg = join(home, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  chownSync(xdg, uid, gid);
  if (unified) {
    // Delegation as cgroup-v2.rst describes it: the directory and its cgroup.procs,
    // cgroup.threads and cgroup.subtree_control belong to the user. Its runtime runs in a leaf,
    // so the subtree's root holds no process and may enable controllers for its children.
    const d = join(unified.mount, DELEGATED);
    mkdirSync(join(d, 'runtime'), { recursive: true });
    for (const f of ['', 'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'runtime', 'runtime/cgroup.procs']) chownSync(join(d, f), uid, gid);
  }
});

afterAll(async () => {
  for (const id of ids) await asUser([CLI, 'delete', '--force', id], false).catch(() => {});
  execFileSync('userdel', [USER], { stdio: 'pipe' });
  if (unified) {
    const d = join(unified.mount, DELEGATED);
    const left = existsSync(d) ? readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'runtime').map((e) => e.name) : [];
    for (const name of left) rmdirSync(join(d, name));
    if (existsSync(d)) rmdirSync(join(d, 'runtime'));
    if (existsSync(d)) rmdirSync(d);
    if (enabledHugetlb) {
      try {
        writeFileSync(join(unified.mount, 'cgroup.subtree_control'), '-hugetlb');
      } catch {
        // another cgroup of the host uses it meanwhile: it stays enabled, as it was needed
      }
    }
    expect(left, 'cgroups left in the delegated subtree').toEqual([]);
  }
  const left = existsSync(join(xdg, 'ocirun')) ? readdirSync(join(xdg, 'ocirun')).filter((f) => !f.startsWith('@')) : [];
  rmSync(home, { recursive: true, force: true });
  expect(left, 'containers left in the state directory').toEqual([]);
});

/** Run node `args` as the user; `delegated`: from the delegated subtree's leaf (root puts it there). */
function asUser(args: string[], delegated: boolean): Promise<RunResult> {
  const procs = unified && delegated ? join(unified.mount, DELEGATED, 'runtime', 'cgroup.procs') : '';
  const script = `${procs ? `echo $$ > ${procs} && ` : ''}exec setpriv --reuid=${uid} --regid=${gid} --clear-groups "$@"`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script, 'sh', process.execPath, ...args], {
      cwd: home,
      env: { PATH: process.env.PATH!, XDG_RUNTIME_DIR: xdg },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal });
    });
  });
}

/** A bundle the user owns: busybox rootfs, `ocirun spec --rootless` as the user, then `edit`. */
async function bundle(name: string, script: string, edit: (spec: any) => void = () => {}): Promise<string> {
  const dir = join(home, name);
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'tmp', 'proc', 'dev', 'sys']) mkdirSync(join(rootfs, d), { recursive: true });
  execFileSync('cp', [BUSYBOX, join(rootfs, 'bin', 'busybox')]);
  for (const applet of execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter(Boolean)) {
    if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir]);
  const r = await asUser([CLI, 'spec', '--rootless', '--bundle', dir], false);
  expect(r.stderr).toBe('');
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['sh', '-c', script];
  edit(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

function run(id: string, dir: string, delegated: boolean): Promise<RunResult> {
  ids.push(id);
  return asUser([CLI, 'run', '--bundle', dir, id], delegated);
}

const unifiedLine = (cgroupText: string) => cgroupText.split('\n').find((l) => l.startsWith('0::'))?.slice(3);

describe('rootless cgroups', () => {
  it.skipIf(!unified)('a delegated cgroup v2 subtree: the container gets its own cgroup there, removed at delete', async () => {
    const dir = await bundle('deleg', 'cat /proc/self/cgroup');
    const r = await run('deleg', dir, true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // <own cgroup>/<id>, as runc places it; no cgroup namespace in the rootless config.
    expect(unifiedLine(r.stdout)).toBe(`/${DELEGATED}/runtime/deleg`);
    // v1 hierarchies are root's: skipped, the process stays where the runtime was.
    expect(r.stdout).toMatch(/^\d+:pids:\/$/m);
    expect(existsSync(join(unified!.mount, DELEGATED, 'runtime', 'deleg'))).toBe(false);
  });

  it.skipIf(!hugetlb)('a limit whose controller the delegated subtree offers is applied (hugetlb, cgroup v2)', async () => {
    const path = `/${DELEGATED}/limited`;
    const dir = await bundle('limited', `cat /proc/self/cgroup; cat /sys/fs/cgroup/${unified!.mount.slice('/sys/fs/cgroup/'.length)}${path}/hugetlb.2MB.max`, (s) => {
      s.linux.cgroupsPath = path;
      s.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] };
    });
    // The subtree's parent (the hierarchy's root) must offer hugetlb to it: root's part of delegating.
    const rootControl = join(unified!.mount, 'cgroup.subtree_control');
    if (!readFileSync(rootControl, 'utf8').includes('hugetlb')) {
      writeFileSync(rootControl, '+hugetlb');
      enabledHugetlb = true;
    }
    const r = await run('limited', dir, true);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(unifiedLine(r.stdout)).toBe(path);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('4194304');
    expect(existsSync(join(unified!.mount, path))).toBe(false);
  });

  it('without delegation: no cgroup and no limit needed, the container runs; a limit fails naming it', async () => {
    const plain = await bundle('nodeleg', 'cat /proc/self/cgroup');
    const r = await run('nodeleg', plain, false);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Where the runtime ran: no cgroup of its own.
    expect(unifiedLine(r.stdout)).toBe(unifiedLine(readFileSync('/proc/self/cgroup', 'utf8')));

    const limited = await bundle('nodeleg-pids', 'true', (s) => (s.linux.resources = { pids: { limit: 10 } }));
    const l = await run('nodeleg-pids', limited, false);
    expect(l.code).not.toBe(0);
    expect(l.stderr).toBe(`ocirun: config.json: /linux/resources/pids: cannot set the pids limit: no cgroup hierarchy offering the pids controller is delegated to uid ${uid} (rootless: only cgroup hierarchies delegated to the user are used); the container could not join or create such a cgroup\n`);

    const explicit = await bundle('nodeleg-path', 'true', (s) => (s.linux.cgroupsPath = '/somewhere'));
    const e = await run('nodeleg-path', explicit, false);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toContain(`config.json: /linux/cgroupsPath "/somewhere": no cgroup hierarchy is delegated to uid ${uid} there`);
  });

  it('device rules are not applied rootless, and a warning says so', async () => {
    const dir = await bundle('devices', 'cat /dev/null && echo ok', (s) => (s.linux.resources = { devices: [{ allow: false, access: 'rwm' }] }));
    const r = await run('devices', dir, false);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok\n');
    expect(r.stderr).toContain('/linux/resources/devices: not applied rootless (the device cgroup needs root)');
  });
});
