// Loads koffi for bindings/libc.ts and bindings/libseccomp.ts. The package entry (`require('koffi')`)
// reads the ELF header of the node binary to tell glibc from musl, checks versions and wraps a few
// deprecated aliases, and resolving the package's "exports" loads Node's ESM resolver: ~13 ms of
// every CLI call that needs libc, where the native module alone costs ~4.5 ms. The native module
// exports the same API, so it is loaded directly from koffi's prebuilt package, found from koffi's
// own directory as koffi finds it; if that fails (musl, another layout, a koffi upgrade) the
// package entry is used.
import type * as Koffi from 'koffi';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

let koffi: typeof Koffi | undefined;

export function loadKoffi(): typeof Koffi {
  if (koffi) return koffi;
  const require = createRequire(import.meta.url);
  try {
    const pkg = (require.resolve.paths('koffi') ?? []).map((dir) => join(dir, 'koffi', 'package.json')).find((f) => existsSync(f));
    if (pkg) {
      const fromKoffi = createRequire(pkg);
      const { platform, arch } = process;
      const native = fromKoffi(`@koromix/koffi-${platform}-${arch}/${platform}_${arch}/koffi.node`);
      // The check koffi's entry makes: the prebuilt module must be the version of the package.
      if (typeof native?.load === 'function' && native.version === fromKoffi('./package.json').version) {
        return (koffi = native as typeof Koffi);
      }
    }
  } catch {
    // fall through to the package entry, which reports any real problem
  }
  return (koffi = require('koffi') as typeof Koffi);
}
