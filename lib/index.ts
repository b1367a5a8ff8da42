// Public API of the ocirun library.
export { OciError, SystemCallError, type OciErrorCode } from './errors.js';
export { VERSION, SPEC_VERSION } from './version.js';
