// Kept in step with package.json by test/version.test.ts.
export const VERSION = '0.1.0';
/** The runtime-spec version this runtime implements and reports in `state` and `features`. */
export const SPEC_VERSION = '1.3.0';
