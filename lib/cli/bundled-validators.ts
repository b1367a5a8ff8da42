// Replaces lib/validate/bundled.ts in the CLI bundle (scripts/bundle-cli.mjs). The launcher
// (lib/cli/ocirun.cjs) hands the bundle its loader, which runs dist/cli/validators.cjs (a copy of
// build/validators.cjs made with the bundle) with its V8 code cache: compiling ~270 KB of generated
// validator code was a large part of `create` and `run`. Without the launcher or the copy, the
// library's usual loading from build/ applies.
declare const __ocirunLoad: ((name: string) => unknown) | undefined;

export function bundledValidators(): unknown {
  return typeof __ocirunLoad === 'function' ? __ocirunLoad('validators') : undefined;
}
