// The native parts as the package ships them: prebuilt for linux-x64 and linux-arm64 with -Werror,
// the executor static and libc-free, the addon needing no glibc symbol newer than 2.17 (the check
// itself is shown to catch one that does), and the addon's source compiling against musl.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useTempDirs } from './support/temp-dirs.js';
// @ts-expect-error: a build script without type declarations
import { ADDON_FLAGS, ADDON_SOURCES, buildPrebuilds, checkPrebuilt, GLIBC_MAX, glibcVersions, napiInclude, PREBUILT } from '../scripts/build-native.mjs';

const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const tempDir = useTempDirs('ocirun-native-');
const cross = process.arch === 'x64' ? 'aarch64-linux-gnu-gcc' : 'x86_64-linux-gnu-gcc';

describe.skipIf(!have(cross))(`prebuilt native parts (needs ${cross}: apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)`, () => {
  it('build for linux-x64 and linux-arm64 with -Werror: static executors, addons within glibc 2.17', { timeout: 120_000 }, () => {
    const into = tempDir();
    buildPrebuilds(into);
    for (const arch of Object.keys(PREBUILT)) {
      const versions: [string, number, number][] = checkPrebuilt(join(into, 'prebuilds', `linux-${arch}`), arch);
      // The addon does import from glibc (a check of nothing would pass too).
      expect(versions.map(([s]) => s)).toContainEqual(expect.stringMatching(/^syscall \(GLIBC_2\.(2\.5|17)\)$/));
      expect(versions.every(([, a, b]) => a === GLIBC_MAX[0] && b <= GLIBC_MAX[1])).toBe(true);
    }
  });
});

it('the glibc check names a symbol newer than 2.17', () => {
  const dir = tempDir();
  const src = join(dir, 'new.c');
  writeFileSync(src, '#define _GNU_SOURCE\n#include <sys/mman.h>\nint f(void) { return memfd_create("x", 0); }\n');
  const so = join(dir, 'new.so');
  const cc = spawnSync('cc', ['-shared', '-fPIC', '-o', so, src], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  const newer = glibcVersions(so).filter(([, a, b]: [string, number, number]) => a > 2 || b > 17);
  expect(newer.map(([s]: [string]) => s)).toEqual(['memfd_create (GLIBC_2.27)']);
});

describe.skipIf(!have('musl-gcc'))('the addon on musl (needs musl-gcc: apt-get install musl-tools)', () => {
  it('compiles and links against musl without a warning', () => {
    const out = join(tempDir(), 'ocirun.node');
    const r = spawnSync('musl-gcc', [...ADDON_FLAGS, '-Werror', ...napiInclude(), '-o', out, ...ADDON_SOURCES], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
