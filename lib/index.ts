// Public API of the ocirun library: everything a caller needs comes from here ('ocirun').
export { Runtime, type RuntimeOptions, type CreateOptions } from './lifecycle/runtime.js';
export { Container, type ContainerEvents, type ExecOptions } from './lifecycle/container.js';
export { ContainerProcess, type ContainerProcessEvents } from './lifecycle/container-process.js';
export { Terminal } from './lifecycle/terminal.js';
export type { ContainerState } from './lifecycle/status.js';
export type { ExitStatus } from './lifecycle/exit.js';
export type { OperationOptions } from './lifecycle/operation.js';
export type { StdioOption, StdioOptions, ExtraFile, StdioStreams } from './lifecycle/stdio.js';
export type { CreateFlags } from './lifecycle/create.js';
export type { ExecFlags } from './lifecycle/exec.js';
export { buildExecProcess, readProcessFile, type ExecOverrides } from './lifecycle/exec-process.js';
export { OciError, SystemCallError, isOciError, type OciErrorCode } from './errors.js';
export { VERSION, SPEC_VERSION } from './version.js';
export * from './spec/index.js';
export { validateConfig, validateBundle, loadBundle, formatProblem, RULES, type Problem, type Severity, type ValidationReport, type ValidateOptions } from './validate/index.js';
export { features, SUPPORTED as SUPPORTED_FEATURES } from './features.js';
