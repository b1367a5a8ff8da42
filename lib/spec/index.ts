// Stable names for the runtime-spec types. They come from lib/spec/types.generated.ts (generated
// from spec-schemas/); code imports them from here so a change in the generator's naming touches
// one file.
export type {
  Spec,
  Hooks,
  Hook,
  Annotations,
  Mount,
  Root,
  Process,
  ConsoleSize,
  User,
  LinuxCapabilities,
  LinuxIOPriority,
  Scheduler,
  POSIXRlimit,
  CPUAffinity,
  Linux,
  LinuxIDMapping,
  LinuxDevice,
  LinuxNetDevice,
  LinuxNamespace,
  LinuxNamespaceType,
  LinuxResources,
  LinuxDeviceCgroup,
  LinuxPids,
  LinuxBlockIO,
  LinuxBlockIODevice,
  LinuxWeightDevice,
  LinuxCPU,
  LinuxHugepageLimit,
  LinuxMemory,
  LinuxNetwork,
  LinuxInterfacePriority,
  LinuxRdma,
  LinuxSeccomp,
  LinuxSeccompAction,
  LinuxSeccompArch,
  LinuxSeccompFlag,
  LinuxSeccompOperator,
  LinuxSyscall,
  LinuxSeccompArg,
  LinuxIntelRdt,
  LinuxMemoryPolicy,
  LinuxPersonality,
  LinuxRootfsPropagation,
  LinuxTimeOffsets,
  LinuxTimeOffset,
  State,
  Features,
  LinuxFeatures,
  CgroupFeatures,
  SeccompFeatures,
  ApparmorFeatures,
  SelinuxFeatures,
  IntelRdtFeatures,
  MountExtensionsFeatures,
  IDMapFeatures,
  NetDevicesFeatures,
} from './types.generated.js';

/** The container status values of runtime.md's state (`creating`, `created`, `running`, `stopped`). */
/** runtime.md's statuses, and runc's "paused" (a frozen cgroup). */
export type ContainerStatus = import('./types.generated.js').State['status'] | 'paused';

export { CAPABILITIES, CAPABILITY_NAMES, isCapabilityName, type CapabilityName } from './capabilities.js';
export { RLIMITS, isRlimitName, type RlimitName } from './rlimits.js';
export { defaultSpec, formatSpec, type DefaultSpecOptions } from './default-config.js';
