// Bind mounts under a user namespace: sources are opened with the runtime's credentials before
// the user namespace exists (runc's userns.bats), so the mapped root mounts what it could not
// open itself, and gains nothing else of it.
import { chmodSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { useHarness, type Patch } from '../support/harness.js';
import { copyRootfs } from '../support/rootfs.js';

const h = useHarness('userns-mounts');

function mappedRootfs(): string {
  const dir = copyRootfs(join(h.dir('userns'), 'rootfs'));
  execFileSync('chown', ['-R', '100000:100000', dir]);
  return dir;
}
const inUserns: Patch = (s) => {
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
  s.root!.readonly = false;
};

/** A root-owned 0700 directory holding a 0644 file. */
function privateSource(): string {
  const dir = join(h.dir('private'), 'secret');
  mkdirSync(dir, { mode: 0o700 });
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, 'file'), 'inside\n', { mode: 0o644 });
  return dir;
}

describe('bind sources under a user namespace', () => {
  it('a root-owned 0700 source mounts under uid map 0→100000 (runc userns.bats)', async () => {
    const rootfs = mappedRootfs();
    const src = privateSource();
    for (const via of ['cli', 'library'] as const) {
      const r = await h.sh(
        'stat -c "%u:%g %a" /mnt/secret; cat /mnt/secret/file 2>&1 || echo no-read; touch /mnt/secret/new 2>&1 || echo no-write',
        (s) => {
          inUserns(s);
          s.mounts!.push({ destination: '/mnt/secret', type: 'bind', source: src, options: ['rbind'] });
        },
        { rootfs, via },
      );
      expect(r.stderr, via).toBe('');
      expect(r.code, via).toBe(0);
      // Host root is unmapped in the container (the overflow id) and 0700 keeps the mapped root
      // out: mounting it gave nothing the mapped root lacks.
      expect(r.stdout.split('\n')[0], via).toBe('65534:65534 700');
      expect(r.stdout, via).toContain('no-read');
      expect(r.stdout, via).toContain('no-write');
    }
  });

  it('a source owned by the mapped root is written with the mapped ids; ro holds', async () => {
    const rootfs = mappedRootfs();
    const shared = h.dir('shared');
    execFileSync('chown', ['100000:100000', shared]);
    const ro = h.dir('ro');
    writeFileSync(join(ro, 'f'), 'x');
    const r = await h.sh('touch /shared/made; (echo hi > /ro/f) 2>/dev/null || echo ro-refused', (s) => {
      inUserns(s);
      s.mounts!.push({ destination: '/shared', type: 'bind', source: shared, options: ['bind'] });
      s.mounts!.push({ destination: '/ro', type: 'bind', source: ro, options: ['bind', 'ro'] });
    }, { rootfs });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('ro-refused');
    const st = statSync(join(shared, 'made'));
    expect([st.uid, st.gid]).toEqual([100000, 100000]);
  });

  it('a symlink planted at the destination cannot send the mount out of the rootfs', async () => {
    const rootfs = mappedRootfs();
    const outside = h.dir('outside');
    symlinkSync(outside, join(rootfs, 'escape'));
    // The same path inside the rootfs: where RESOLVE_IN_ROOT takes the symlink.
    mkdirSync(join(rootfs, outside), { recursive: true });
    const src = h.dir('src');
    writeFileSync(join(src, 'marker'), 'm');
    const r = await h.sh(`ls /escape; grep -c " ${outside} " /proc/self/mountinfo`, (s) => {
      inUserns(s);
      s.mounts!.push({ destination: '/escape', type: 'bind', source: src, options: ['bind'] });
    }, { rootfs });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('marker\n1\n');
    expect(readdirSync(outside)).toEqual([]);
  });
});

describe('idmapped mounts', () => {
  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  /** A host-owned (0:0) directory with a host-owned file, and one owned by host uid 1234. */
  function hostOwned(): string {
    const dir = h.dir('idmapped');
    writeFileSync(join(dir, 'root-file'), 'r');
    writeFileSync(join(dir, 'user-file'), 'u');
    execFileSync('chown', ['1234:1234', join(dir, 'user-file')]);
    return dir;
  }

  it('host-owned files show as owned by the container root and writes land with host ids', async () => {
    const rootfs = mappedRootfs();
    const dir = hostOwned();
    for (const via of ['cli', 'library'] as const) {
      const r = await h.sh(
        `stat -c "%n %u:%g" /data/root-file /data/user-file; touch /data/made-${via}; mkdir /data/dir-${via}`,
        (s) => {
          inUserns(s);
          s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: map, gidMappings: map });
        },
        { rootfs, via },
      );
      expect(r.stderr, via).toBe('');
      expect(r.stdout, via).toBe('/data/root-file 0:0\n/data/user-file 1234:1234\n');
      for (const f of [`made-${via}`, `dir-${via}`]) {
        const st = statSync(join(dir, f));
        expect([st.uid, st.gid], f).toEqual([0, 0]);
      }
    }
  });

  it('"idmap" without mappings takes the container\'s; without a user namespace the mapping still applies', async () => {
    const rootfs = mappedRootfs();
    const dir = hostOwned();
    const r = await h.sh('stat -c "%u" /data/root-file', (s) => {
      inUserns(s);
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'idmap'] });
    }, { rootfs });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('0\n');
    // No user namespace: the container is host root and sees the mount's view (0 → 100000).
    const plain = await h.sh('stat -c "%u" /data/root-file; touch /data/by-host-root', (s) => {
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: map, gidMappings: map });
    });
    expect(plain.stdout).toBe('100000\n');
    // Host root is not in the mount's mapping: it may not create files there (EOVERFLOW).
    expect(plain.stderr).toBe('touch: /data/by-host-root: Value too large for defined data type\n');
    expect(plain.code).not.toBe(0);
  });

  it('an idmapped mount widens nothing: ids outside its mapping stay unmapped and mode bits hold', async () => {
    const rootfs = mappedRootfs();
    const dir = h.dir('narrow');
    writeFileSync(join(dir, 'secret'), 's', { mode: 0o600 });
    execFileSync('chown', ['4321:4321', join(dir, 'secret')]);
    // Only host uid 0 is mapped (to container root); 4321 is outside the mount's mapping.
    const one = [{ containerID: 0, hostID: 100000, size: 1 }];
    // Root of the container has CAP_DAC_OVERRIDE in its namespace, which does not reach a file
    // whose owner is unmapped: the idmapped mount must not map it in.
    const r = await h.sh('stat -c "%u:%g" /data/secret; cat /data/secret 2>/dev/null || echo denied; ls -n /data', (s) => {
      inUserns(s);
      s.mounts!.push({ destination: '/data', type: 'bind', source: dir, options: ['bind', 'idmap'], uidMappings: one, gidMappings: one });
    }, { rootfs });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').slice(0, 2)).toEqual(['65534:65534', 'denied']);
  });

  it('idmap on a non-bind mount is refused naming the mount', async () => {
    const r = await h.sh('true', (s) => {
      s.mounts!.push({ destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['idmap'], uidMappings: map, gidMappings: map });
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mounts\/\d+.*\/data.*bind/);
  });

  it('a failing step of an idmapped mount names it by its pointer (conformance CFG-MOPT-idmap-userns)', async () => {
    const dir = hostOwned();
    let index = -1;
    // The container's root (host 100000) cannot create the missing target in a root-owned
    // rootfs. (A mapping the kernel would refuse is refused first by validation, naming it.)
    const denied = await h.sh('true', (s) => {
      inUserns(s);
      s.root!.readonly = false;
      index = s.mounts!.push({ destination: '/missing/data', type: 'bind', source: dir, options: ['bind', 'ridmap'] }) - 1;
    });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toBe(`ocirun: create: /mounts/${index} (ridmap): mount ${dir} on /missing/data: create directory /missing: permission denied\n`);
  });
});
