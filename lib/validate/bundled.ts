// The validators a bundled CLI carries itself: none in the library, which loads build/validators.cjs.
// scripts/bundle-cli.mjs replaces this module in the CLI bundle with lib/cli/bundled-validators.ts.
export function bundledValidators(): unknown {
  return undefined;
}
