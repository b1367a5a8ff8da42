// Rootless: an unprivileged user, made by this test, runs containers through the built CLI and
// the library. Without subordinate ids only the user's own id is mapped; with /etc/subuid and
// /etc/subgid granting a range, newuidmap/newgidmap (Debian's uidmap) map it too. The user, its
// subordinate ranges, its containers and files are removed afterwards, even when a test fails.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, type RunResult } from '../support/harness.js';
import { BUSYBOX } from '../support/rootfs.js';

const USER = `ocirl${process.pid % 100000}`;
const SUB_START = 300000 + (process.pid % 50) * 65536;
const SUB_LINE = `${USER}:${SUB_START}:65536\n`;
let uid = 0;
let gid = 0;
let home = '';
let xdg = '';
const ids: string[] = [];
const hasNewuidmap = existsSync('/usr/bin/newuidmap') && existsSync('/usr/bin/newgidmap');

/** Drop the user's lines from /etc/subuid or /etc/subgid. */
function removeSubIds(file: string): void {
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  const kept = text.split('\n').filter((l) => !l.startsWith(`${USER}:`)).join('\n');
  if (kept !== text) writeFileSync(file, kept);
}

beforeAll(() => {
  execFileSync('useradd', ['-M', '-d', '/nonexistent', '-s', '/bin/sh', USER]);
  // useradd may grant subordinate ids (login.defs SUB_UID_COUNT): the first tests run without.
  removeSubIds('/etc/subuid');
  removeSubIds('/etc/subgid');
  uid = Number(execFileSync('id', ['-u', USER]).toString());
  gid = Number(execFileSync('id', ['-g', USER]).toString());
  home = mkdtempSync(join(tmpdir(), 'ocirun-rootless-'));
  chmodSync(home, 0o755);
  xdg = join(home, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  chownSync(xdg, uid, gid);
});

afterAll(async () => {
  for (const id of ids) await spawnAsUser([CLI, 'delete', '--force', id]).catch(() => {});
  removeSubIds('/etc/subuid');
  removeSubIds('/etc/subgid');
  try {
    execFileSync('userdel', [USER], { stdio: 'pipe' });
  } catch (err) {
    // Not made (beforeAll failed), or still in use: say so rather than leave it silently.
    if (uid) throw new Error(`userdel ${USER}: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  const left = existsSync(join(xdg, 'ocirun')) ? readdirSync(join(xdg, 'ocirun')).filter((f) => !f.startsWith('@')) : [];
  rmSync(home, { recursive: true, force: true });
  expect(left, 'containers left in the state directory').toEqual([]);
});

function spawnAsUser(args: string[], env: Record<string, string> = {}, cwd = home): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      uid,
      gid,
      cwd,
      env: { PATH: process.env.PATH!, XDG_RUNTIME_DIR: xdg, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ stdout, stderr, code, signal });
    };
    child.on('close', finish);
    // A created container keeps our pipes open: take what the command wrote once it exits.
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 300));
  });
}

/** A bundle the user owns: busybox rootfs, config from `ocirun spec --rootless` run as the user. */
async function bundle(name: string, script: string, edit: (spec: any) => void = () => {}): Promise<{ dir: string; out: string }> {
  const dir = join(home, name);
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'tmp', 'out', 'proc', 'dev', 'sys']) mkdirSync(join(rootfs, d), { recursive: true });
  execFileSync('cp', [BUSYBOX, join(rootfs, 'bin', 'busybox')]);
  for (const applet of execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter(Boolean)) {
    if (applet !== 'busybox') symlinkSync('busybox', join(rootfs, 'bin', applet));
  }
  const out = join(home, `${name}-out`);
  mkdirSync(out);
  execFileSync('chown', ['-R', `${uid}:${gid}`, dir, out]);
  const r = await spawnAsUser([CLI, 'spec', '--rootless', '--bundle', dir]);
  expect(r.stderr).toBe('');
  const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = ['sh', '-c', script];
  spec.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind'] });
  edit(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return { dir, out };
}

async function runAsUser(id: string, dir: string): Promise<RunResult> {
  ids.push(id);
  return spawnAsUser([CLI, 'run', '--bundle', dir, id]);
}

describe('rootless', () => {
  it('spec --rootless maps the caller; the container is root of it, writes as the caller, gains nothing', async () => {
    const { dir, out } = await bundle('plain', 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; touch /out/made; cat /shadow 2>&1 >/dev/null; ls /dev/null /dev/zero');
    const spec = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    // A root-only host file bound in: mounting it is allowed, reading it is not.
    spec.mounts.push({ destination: '/shadow', type: 'bind', source: '/etc/shadow', options: ['bind', 'ro'] });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
    const r = await runAsUser('plain', dir);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    expect(lines.slice(0, 4)).toEqual(['0', '0', `0 ${uid} 1`, `0 ${gid} 1`]);
    expect(r.stdout).toContain('cat: can\'t open \'/shadow\': Permission denied');
    expect(r.stdout).toContain('/dev/null\n/dev/zero\n');
    const st = statSync(join(out, 'made'));
    expect([st.uid, st.gid]).toEqual([uid, gid]);
    // State lived under $XDG_RUNTIME_DIR/ocirun and is gone after run.
    expect(existsSync(join(xdg, 'ocirun'))).toBe(true);
    expect(readdirSync(join(xdg, 'ocirun')).filter((f) => !f.startsWith('@'))).toEqual([]);
  });

  it('create / state / delete keep their state under $XDG_RUNTIME_DIR/ocirun; the library works too', async () => {
    const { dir } = await bundle('life', 'sleep 30');
    ids.push('life');
    const c = await spawnAsUser([CLI, 'create', '--bundle', dir, 'life']);
    expect(c.stderr).toBe('');
    expect(existsSync(join(xdg, 'ocirun', 'life'))).toBe(true);
    const s = await spawnAsUser([CLI, 'state', 'life']);
    expect(JSON.parse(s.stdout).status).toBe('created');
    const d = await spawnAsUser([CLI, 'delete', '--force', 'life']);
    expect(d.stderr).toBe('');
    expect(existsSync(join(xdg, 'ocirun', 'life'))).toBe(false);

    const lib = await bundle('lib', 'cat /proc/self/uid_map');
    const r = await spawnAsUser([join(REPO, 'test/support/library-run.mjs'), join(xdg, 'ocirun'), 'lib', lib.dir]);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split(/\s+/)).toEqual(['0', String(uid), '1']);
  });

  it('what needs root is refused naming it', async () => {
    const { dir } = await bundle('nouserns', 'true', (s) => {
      s.linux.namespaces = s.linux.namespaces.filter((n: any) => n.type !== 'user');
      delete s.linux.uidMappings;
      delete s.linux.gidMappings;
    });
    const r = await runAsUser('nouserns', dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/a container without a user namespace .* needs root/);

    const wide = await bundle('wide', 'true', (s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: 0, size: 1 }];
    });
    const w = await runAsUser('wide', wide.dir);
    expect(w.stderr).toMatch(/linux\.uidMappings \(0 0 1\) maps more than this user's own id, which needs root or newuidmap/);
    expect(readdirSync(join(xdg, 'ocirun')).filter((f) => !f.startsWith('@'))).toEqual([]);
  });

  it.skipIf(!hasNewuidmap)('subordinate ids from /etc/subuid are mapped through newuidmap/newgidmap', async () => {
    for (const f of ['/etc/subuid', '/etc/subgid']) {
      const text = readFileSync(f, 'utf8');
      writeFileSync(f, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${SUB_LINE}`);
    }
    const { dir, out } = await bundle('sub', 'cat /proc/self/uid_map; touch /out/sub; chown 5:7 /out/sub; touch /out/mine', (s) => {
      s.linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }, { containerID: 1, hostID: SUB_START, size: 65536 }];
      s.linux.gidMappings = [{ containerID: 0, hostID: gid, size: 1 }, { containerID: 1, hostID: SUB_START, size: 65536 }];
      for (const set of ['bounding', 'effective', 'permitted']) s.process.capabilities[set].push('CAP_CHOWN');
    });
    const r = await runAsUser('sub', dir);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).slice(0, 2)).toEqual([`0 ${uid} 1`, `1 ${SUB_START} 65536`]);
    const sub = statSync(join(out, 'sub'));
    expect([sub.uid, sub.gid]).toEqual([SUB_START + 4, SUB_START + 6]);
    const mine = statSync(join(out, 'mine'));
    expect([mine.uid, mine.gid]).toEqual([uid, gid]);
  });
  it('attacks: a caller cannot read a root-only bind source, nor idmap it to the container\'s root', async () => {
    // A root-only directory with a secret in it.
    const secretDir = mkdtempSync(join(tmpdir(), 'ocirun-rootless-secret-'));
    chmodSync(secretDir, 0o700);
    writeFileSync(join(secretDir, 'secret'), 'host-secret\n', { mode: 0o600 });
    try {
      const bind = await bundle('attack-bind', 'cat /secret/secret; echo done', (s) => {
        s.mounts.push({ destination: '/secret', type: 'bind', source: secretDir, options: ['rbind'] });
      });
      const b = await runAsUser('attack-bind', bind.dir);
      // The mount is made (as runc's rootless mode makes it); the host's permissions still hold.
      expect(b.stdout).toBe('done\n');
      expect(b.stderr).toBe("cat: can't open '/secret/secret': Permission denied\n");

      // An idmapped mount would make root's files the container's: refused before anything runs.
      const idm = await bundle('attack-idmap', 'cat /secret/secret; echo done', (s) => {
        s.mounts.push({ destination: '/secret', type: 'bind', source: secretDir, options: ['rbind', 'idmap'], uidMappings: [{ containerID: 0, hostID: 0, size: 1 }], gidMappings: [{ containerID: 0, hostID: 0, size: 1 }] });
      });
      const i = await runAsUser('attack-idmap', idm.dir);
      expect(i.stdout).not.toContain('host-secret');
      expect(i.code).not.toBe(0);
      expect(i.stderr).toBe('ocirun: config.json: an idmapped mount (mount_setattr MOUNT_ATTR_IDMAP in the initial user namespace) needs root (ocirun runs rootless: not uid 0, or --rootless true)\n');
    } finally {
      rmSync(secretDir, { recursive: true, force: true });
    }
    expect(readdirSync(join(xdg, 'ocirun')).filter((f) => !f.startsWith('@'))).toEqual([]);
  });

  it.skipIf(!hasNewuidmap)('attacks: subordinate ids beyond the grant (the next range, root\'s) are refused by newuidmap; nothing is left', async () => {
    for (const f of ['/etc/subuid', '/etc/subgid']) {
      const text = readFileSync(f, 'utf8');
      if (!text.includes(SUB_LINE)) writeFileSync(f, `${text}${text && !text.endsWith('\n') ? '\n' : ''}${SUB_LINE}`);
    }
    for (const [name, extra] of [
      ['attack-next', { containerID: 1, hostID: SUB_START + 1, size: 65536 }],
      ['attack-root', { containerID: 1, hostID: 0, size: 1 }],
    ] as const) {
      const { dir } = await bundle(name, 'id', (s) => {
        s.linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }, extra];
      });
      const r = await runAsUser(name, dir);
      expect(r.code, name).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`linux.uidMappings (0 ${uid} 1; ${extra.containerID} ${extra.hostID} ${extra.size}) maps more than this user's own id, which needs root or newuidmap with /etc/subuid granting the ids`);
    }
    expect(readdirSync(join(xdg, 'ocirun')).filter((f) => !f.startsWith('@'))).toEqual([]);
  });
});
