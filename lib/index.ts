// Public API of the ocirun library.
export { OciError, SystemCallError, type OciErrorCode } from './errors.js';
export { VERSION, SPEC_VERSION } from './version.js';
export * from './spec/index.js';
export { validateConfig, validateBundle, loadBundle, formatProblem, RULES, type Problem, type Severity, type ValidationReport, type ValidateOptions } from './validate/index.js';
export { features, SUPPORTED as SUPPORTED_FEATURES } from './features.js';
