// CVE-2019-16884: runc wrote the AppArmor/SELinux exec label through the container's /proc, which
// an image could cover with a volume or bind mount: the write went to an ordinary file and the
// program ran unconfined. ocirun checks the opened file is on procfs (fstatfs PROC_SUPER_MAGIC)
// before writing. This host has no LSM (the profile itself is refused here before anything runs),
// so the ops the planner makes for the label are run by the executor directly: against a file
// standing where /proc/thread-self/attr/... would be, and against a real procfs file.
import { closeSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reapBlocking, socketPair, spawnProgram } from '../bindings/libc.js';
import { PlanContext } from '../lib/plan/context.js';
import { planProcAttrWrite } from '../lib/plan/security-labels.js';
import { initError, openInitChannel, type InitMessage } from '../lib/protocol/init-channel.js';
import { defaultSpec } from '../lib/spec/default-config.js';
import { useTempDirs } from './support/temp-dirs.js';

const tempDir = useTempDirs('ocirun-attr-');

/** Runs the label write for `path`, then execs /bin/true; resolves with the error, if any. */
async function writeLabel(path: string): Promise<{ error?: Error; status: number }> {
  const ctx = new PlanContext(defaultSpec(), { capLastCap: 40 });
  const [parent, child] = socketPair();
  planProcAttrWrite(ctx, path, 'exec confined', 'apparmor profile confined');
  const b = ctx.b;
  b.syscall('execve', [b.string('/bin/true'), b.pointerArray([b.string('/bin/true')]), b.pointerArray([])], 'exec /bin/true');
  const program = b.encode(child);
  const channel = openInitChannel(parent, false);
  const pid = spawnProgram(program.bytes, { programFd: 200, keep: [child] });
  closeSync(child);
  const messages: InitMessage[] = [];
  for (let m = await channel.next(); m.kind !== 'eof'; m = await channel.next()) messages.push(m);
  channel.close();
  const status = reapBlocking(pid);
  const failed = messages.find((m) => m.kind === 'error');
  return { status, error: failed && failed.kind === 'error' ? initError(program.descriptions, failed.op, failed.errno) : undefined };
}

describe('CVE-2019-16884: the LSM label is written only to procfs', () => {
  it('a file standing in for /proc/thread-self/attr/apparmor/exec (a mount over /proc) is refused, and nothing is written to it', async () => {
    const fake = join(tempDir(), 'exec');
    writeFileSync(fake, '');
    const { error: err } = await writeLabel(fake);
    expect(err?.message).toBe(`apparmor profile confined: ${fake} is not on procfs (something is mounted over /proc: CVE-2019-16884): operation not permitted`);
    expect(readFileSync(fake, 'utf8')).toBe('');
  });

  it('a procfs file passes the check and is written', async () => {
    // comm takes any text; the attr files need an LSM this host lacks.
    // Exit status 0: the program went on past the write to its execve of /bin/true.
    expect(await writeLabel('/proc/thread-self/comm')).toEqual({ status: 0, error: undefined });
  });
});
