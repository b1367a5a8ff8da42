// Attacks on the runtime's own binary from inside a container (runc's CVE-2019-5736 class): a
// container must never reach, let alone write, a file of the host through /proc/<pid>/exe of a
// process the runtime started in it.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProgramBuilder } from '../../bindings/program.js';
import { CLI, useHarness, waitFor } from '../support/harness.js';

const h = useHarness('attack-exe');

/**
 * An executor program that waits (a read of fd 0 that blocks until its writer closes it) and
 * then exits: what a hostile image hands to the executor it re-executes through /proc/self/exe,
 * to keep it alive while another process goes for its binary.
 */
function waitingProgram(): Buffer {
  const b = new ProgramBuilder();
  const buf = b.zeroed(8);
  b.syscall('read', [0, buf, 1], 'wait for stdin to close', { tolerate: [9, 11] });
  b.syscall('execve', [b.string('/nonexistent'), b.pointerArray([]), b.pointerArray([])], 'end');
  return b.encode(2).bytes;
}

/**
 * The attacker, in the container: finds the re-executed executor, opens its binary through
 * /proc/<pid>/exe (read-only: it is busy while it runs), has it end, then writes the binary's
 * own first byte back over it through the open file. A host binary would take the write (the
 * byte is the same, so nothing is damaged); the runtime's sealed copy must refuse it.
 */
const ATTACK = String.raw`
for i in $(seq 200); do
  for p in /proc/[0-9]*; do
    case "$(cat $p/cmdline 2>/dev/null | tr '\0' ' ')" in "/proc/self/exe 3 ") pid=$(basename $p); break 2;; esac
  done
  usleep 20000
done
[ -n "$pid" ] || { echo "no victim"; exit 1; }
echo "exe: $(readlink /proc/$pid/exe)"
cat /proc/$pid/exe >/dev/null || { echo "open: failed"; exit 0; }
exec 5</proc/$pid/exe
kill -9 $pid
while [ -e /proc/$pid/exe ]; do usleep 10000; done
if dd if=/proc/self/fd/5 of=/proc/self/fd/5 bs=1 count=1 conv=notrunc 2>/tmp/dd.err; then echo WRITABLE; else echo "write denied: $(grep -v records /tmp/dd.err)"; fi
`;

describe('the executor binary is out of reach (CVE-2019-5736)', () => {
  it('exec of /proc/self/exe: the re-executed executor is a sealed copy; writing it through /proc/<pid>/exe fails', async () => {
    const id = h.id();
    const bundle = h.bundle((s) => {
      s.process!.args = ['sleep', '60'];
      s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' });
    });
    expect((await h.cli(['run', '--detach', '--bundle', bundle, id])).code).toBe(0);

    // The victim: `exec <id> /proc/self/exe 3` with a program on fd 3 that waits on stdin.
    const programFile = join(h.dir('prog'), 'program');
    writeFileSync(programFile, waitingProgram());
    const programFd = openSync(programFile, 'r');
    const victim = spawn(process.execPath, [CLI, '--root', h.root, 'exec', '--preserve-fds', '1', id, '/proc/self/exe', '3'], {
      stdio: ['pipe', 'pipe', 'pipe', programFd],
    });
    closeSync(programFd);
    let victimErr = '';
    victim.stderr!.on('data', (d) => (victimErr += d));
    const victimExit = new Promise<number | null>((r) => victim.on('exit', (code) => r(code)));
    try {
      const r = await h.cli(['exec', id, 'sh', '-c', ATTACK]);
      expect(r.stderr, victimErr).toBe('');
      expect(r.stdout).toMatch(/^exe: \/memfd:ocirun-executor \(deleted\)\n/);
      expect(r.stdout).not.toContain('WRITABLE');
      expect(r.stdout).toMatch(/write denied: .*(Operation not permitted|Permission denied)/);
    } finally {
      victim.stdin!.end();
      victim.kill('SIGKILL');
      await waitFor(async () => (await Promise.race([victimExit, new Promise((r) => setTimeout(() => r('wait'), 10))])) !== 'wait', 5000);
    }
  });
});

describe('no host binary behind a container process', () => {
  it('a created container (the executor waiting for start) runs the sealed copy, not the package file', async () => {
    const id = h.id();
    const c = await h.create(id, h.bundle());
    const exe = readlinkSync(`/proc/${c.pid}/exe`);
    expect(exe).toBe('/memfd:ocirun-executor (deleted)');
    await c.delete({ force: true });
  });
});
