// ociVersion: SemVer, and a version this runtime implements.
import type { RuleContext } from '../types.js';
import { q } from '../json.js';
import { SPEC_VERSION } from '../../version.js';

// SemVer 2.0.0's grammar (semver.org), without build-metadata subtleties that do not matter here.
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

export default function version(ctx: RuleContext): void {
  const v = ctx.config.ociVersion;
  if (typeof v !== 'string') return; // the schema reports a missing or non-string ociVersion
  const m = SEMVER.exec(v);
  if (!m) {
    ctx.error('/ociVersion', 'oci-version-format', `${q(v)} is not a SemVer 2.0.0 version (such as "${SPEC_VERSION}")`);
    return;
  }
  const [major, minor] = [Number(m[1]), Number(m[2])];
  const [ourMajor, ourMinor] = SPEC_VERSION.split('.').map(Number);
  if (major !== ourMajor) {
    ctx.error('/ociVersion', 'oci-version-supported', `runtime-spec version ${v} is not supported: ocirun implements ${ourMajor}.x up to ${SPEC_VERSION}`);
  } else if (minor > ourMinor) {
    ctx.warn('/ociVersion', 'oci-version-supported', `runtime-spec version ${v} is newer than ${SPEC_VERSION}, the version ocirun implements: fields added after ${SPEC_VERSION} are ignored`);
  }
}
