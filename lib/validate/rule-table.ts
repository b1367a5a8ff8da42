// Every semantic rule, with the spec sentence it enforces. A problem's `rule` is one of these ids
// (or `schema/<keyword>` for what the JSON schema itself rejects). Tests check that each id a
// rule module reports is listed here, so the table stays the documentation of the validator.

export interface RuleInfo {
  severity: 'error' | 'warning';
  /** The spec file (in runtime-spec v1.3.0) the rule comes from. */
  spec: string;
  /** The sentence of the spec it enforces (or the kernel/runc fact, when the spec is silent). */
  sentence: string;
}

export const RULES = {
  'oci-version-format': { severity: 'error', spec: 'config.md', sentence: '`ociVersion` (string, REQUIRED) MUST be in SemVer v2.0.0 format.' },
  'oci-version-supported': { severity: 'error', spec: 'config.md', sentence: '`ociVersion` specifies the version of the Open Container Initiative Runtime Specification with which the bundle complies. (ocirun implements 1.0.0 to 1.3.0: another major version is an error, a newer 1.x a warning.)' },
  'root-required': { severity: 'error', spec: 'config.md', sentence: '`root` ... On all other platforms, this field is REQUIRED.' },
  'root-path-exists': { severity: 'error', spec: 'config.md', sentence: '`path` ... A directory MUST exist at the path declared by the field.' },
  'process-missing': { severity: 'warning', spec: 'config.md', sentence: '`process` ... This property is REQUIRED when `start` is called.' },
  'process-args-required': { severity: 'error', spec: 'config.md', sentence: '`args` ... This specification extends the IEEE standard in that at least one entry is REQUIRED (non-Windows).' },
  'process-cwd-absolute': { severity: 'error', spec: 'config.md', sentence: '`cwd` (string, REQUIRED) is the working directory ... This value MUST be an absolute path.' },
  'process-env-format': { severity: 'warning', spec: 'config.md', sentence: '`env` (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008\'s `environ` (entries are NAME=value).' },
  'rlimit-type-known': { severity: 'error', spec: 'config.md', sentence: 'The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.' },
  'rlimit-unique': { severity: 'error', spec: 'config.md', sentence: 'If `rlimits` contains duplicated entries with same `type`, the runtime MUST generate an error.' },
  'rlimit-soft-above-hard': { severity: 'error', spec: 'config.md', sentence: '`hard` (uint64, REQUIRED) the ceiling for the soft limit that could be set by an unprivileged process.' },
  'capability-name-format': { severity: 'warning', spec: 'config.md', sentence: '`capabilities` ... Valid values are defined in the capabilities(7) man page, such as `CAP_CHOWN`.' },
  'capability-unknown': { severity: 'warning', spec: 'config.md', sentence: 'Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime.' },
  'oom-score-adj-range': { severity: 'error', spec: 'config.md', sentence: '`oomScoreAdj` (int, OPTIONAL) adjusts the oom-killer score in `[pid]/oom_score_adj` (the kernel accepts -1000 to 1000).' },
  'io-priority-range': { severity: 'error', spec: 'config.md', sentence: '`priority` (int, REQUIRED) ... The value should be an integer ranging from 0 (highest) to 7 (lowest).' },
  'mount-destination-relative': { severity: 'warning', spec: 'config.md', sentence: 'Linux: This value SHOULD be an absolute path. For compatibility with old tools and configurations, it MAY be a relative path ... Relative paths are deprecated.' },
  'mount-destination-empty': { severity: 'error', spec: 'config.md', sentence: '`destination` (string, REQUIRED) Destination of mount point: path inside container.' },
  'mount-bind-source': { severity: 'error', spec: 'config.md', sentence: '`source` (string, OPTIONAL) A device name, but can also be a file or directory name for bind mounts or a dummy.' },
  'mount-idmap-pair': { severity: 'error', spec: 'config.md', sentence: '`uidMappings` ... If specified, it MUST be specified along with `gidMappings` (and `gidMappings` along with `uidMappings`).' },
  'mount-idmap-option': { severity: 'warning', spec: 'config.md', sentence: 'If specified, the `options` field of the `mounts` structure SHOULD contain either `idmap` or `ridmap`.' },
  'mount-idmap-no-mapping': { severity: 'error', spec: 'config.md', sentence: '`idmap`/`ridmap`: If there are no `uidMappings` and `gidMappings` specified and the container isn\'t using user namespaces, an error MUST be returned.' },
  'mount-idmap-bind-only': { severity: 'error', spec: 'config.md', sentence: 'This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP) (which applies only to a detached bind mount; runc refuses idmap on other mounts).' },
  'namespace-duplicate': { severity: 'error', spec: 'config-linux.md', sentence: 'If a `namespaces` field contains duplicated namespaces with same `type`, the runtime MUST generate an error.' },
  'namespace-path-absolute': { severity: 'error', spec: 'config-linux.md', sentence: '`path` ... This value MUST be an absolute path in the runtime mount namespace.' },
  'namespace-path-type': { severity: 'error', spec: 'config-linux.md', sentence: 'The runtime MUST generate an error if `path` is not associated with a namespace of type `type`.' },
  'namespace-path-exists': { severity: 'error', spec: 'config-linux.md', sentence: 'The runtime MUST place the container process in the namespace associated with that `path`.' },
  'user-mappings-required': { severity: 'error', spec: 'config-linux.md', sentence: '`uidMappings`/`gidMappings` describe the user namespace mappings from the host to the container (a new user namespace without them leaves every id unmapped; runc refuses it).' },
  'user-mappings-without-userns': { severity: 'error', spec: 'config-linux.md', sentence: '`uidMappings` (array of objects, OPTIONAL) describes the user namespace uid mappings (they need a user namespace; runc refuses them without one).' },
  'id-range': { severity: 'error', spec: 'config.md', sentence: '`uid` (int, REQUIRED) specifies the user ID in the container namespace (Linux: 0 to 2147483647, as runc; setresuid(2) reads 4294967295 as "unchanged").' },
  'string-nul': { severity: 'error', spec: 'config.md', sentence: 'Runtimes MUST generate an error when invalid or unsupported values are encountered (a string the kernel takes as a C string cannot hold a NUL byte).' },
  'json-depth': { severity: 'error', spec: 'config.md', sentence: 'Runtimes MUST generate an error when invalid or unsupported values are encountered (ocirun reads documents nested at most 128 levels deep).' },
  'id-mapping-invalid': { severity: 'error', spec: 'config-linux.md', sentence: '`size` (uint32, REQUIRED) - is the number of ids to be mapped. Note that the number of mapping entries MAY be limited by the kernel (user_namespaces(7): at most 340 non-overlapping ranges).' },
  'uts-namespace-required': { severity: 'error', spec: 'config.md', sentence: '`hostname` / `domainname` ... On Linux, for example, this will change the hostname in the container UTS namespace.' },
  'sysctl-needs-namespace': { severity: 'error', spec: 'config-linux.md', sentence: '`sysctl` (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container (only parameters of a namespace the container has its own of: net.* with a network namespace, IPC parameters with an ipc namespace).' },
  'sysctl-not-namespaced': { severity: 'error', spec: 'config-linux.md', sentence: '`sysctl` ... allows kernel parameters to be modified at runtime for the container (a parameter no namespace isolates would change the host; runc refuses it).' },
  'sysctl-hostname': { severity: 'error', spec: 'config.md', sentence: '`hostname` (string, OPTIONAL) specifies the container\'s hostname (the kernel.hostname sysctl conflicts with it; runc refuses it).' },
  'hook-path-absolute': { severity: 'error', spec: 'config.md', sentence: '`path` ... This specification extends the IEEE standard in that `path` MUST be absolute.' },
  'hook-prestart-deprecated': { severity: 'warning', spec: 'config.md', sentence: '`prestart` (array of objects, OPTIONAL, DEPRECATED) ... deprecated in favor of `createRuntime`, `createContainer` and `startContainer` hooks.' },
  'seccomp-syscall-name': { severity: 'error', spec: 'config-linux.md', sentence: '`names` (array of strings, REQUIRED) - the names of the syscalls.' },
  'seccomp-syscall-unknown': { severity: 'warning', spec: 'config-linux.md', sentence: 'The actions, architectures, and operators are strings that match the definitions in seccomp.h from libseccomp (a name libseccomp cannot resolve is skipped, as runc does).' },
  'seccomp-arch-unsupported': { severity: 'warning', spec: 'config-linux.md', sentence: '`architectures` ... A valid list of constants as of libseccomp v2.6.0 is shown below (the host\'s libseccomp may know fewer).' },
  'seccomp-errno-action': { severity: 'error', spec: 'config-linux.md', sentence: '`errnoRet` / `defaultErrnoRet` ... When the action doesn\'t support an errno, the runtime MUST print and error and fail.' },
  'seccomp-errno-range': { severity: 'error', spec: 'config-linux.md', sentence: '`errnoRet` (uint, OPTIONAL) - the errno return code to use (the kernel returns at most 4095 as an errno; a trace value has 16 bits).' },
  'seccomp-listener-metadata': { severity: 'error', spec: 'config-linux.md', sentence: '`listenerMetadata` ... This field MUST NOT be set if `listenerPath` is not set.' },
  'seccomp-notify-listener': { severity: 'error', spec: 'config-linux.md', sentence: '`listenerPath` (string, OPTIONAL) - specifies the path of UNIX domain socket over which the runtime will send the container process state data structure when the `SCMP_ACT_NOTIFY` action is used.' },
  'seccomp-notify-default': { severity: 'error', spec: 'config.md', sentence: 'Runtimes MUST generate an error when invalid or unsupported values are encountered (the kernel cannot use SCMP_ACT_NOTIFY as a filter\'s default action).' },
  'seccomp-arg-index': { severity: 'error', spec: 'config-linux.md', sentence: '`index` (uint, REQUIRED) - the index for syscall arguments in seccomp (a syscall has six: 0 to 5).' },
  'device-number-required': { severity: 'error', spec: 'config-linux.md', sentence: '`major, minor` (int64, REQUIRED unless `type` is `p`) - major, minor numbers for the device.' },
  'device-file-mode-type': { severity: 'warning', spec: 'config-linux.md', sentence: '`fileMode` (uint32, OPTIONAL) - file mode for the device (the schema allows permission bits only; runc\'s clients send st_mode with the file type bits, of which only the permission bits are used).' },
  'device-number-range': { severity: 'error', spec: 'config-linux.md', sentence: '`major, minor` ... major, minor numbers for the device (Linux: major 0 to 4095, minor 0 to 1048575).' },
  'device-path-absolute': { severity: 'error', spec: 'config-linux.md', sentence: '`path` (string, REQUIRED) - full path to device inside container.' },
  'device-path-duplicate': { severity: 'error', spec: 'config-linux.md', sentence: 'If a file already exists at `path` that does not match the requested device, the runtime MUST generate an error (two different devices at one path).' },
  'device-number-duplicate': { severity: 'warning', spec: 'config-linux.md', sentence: 'The same `type`, `major` and `minor` SHOULD NOT be used for multiple devices.' },
  'linux-path-absolute': { severity: 'error', spec: 'config-linux.md', sentence: '`maskedPaths` / `readonlyPaths`: The values MUST be absolute paths in the container namespace.' },
  'time-offsets-need-timens': { severity: 'error', spec: 'config-linux.md', sentence: '`timeOffsets` (object, OPTIONAL) sets the offset for Time Namespace (offsets can only be written to a new time namespace).' },
  'net-devices-need-netns': { severity: 'error', spec: 'config-linux.md', sentence: '`netDevices` (object, OPTIONAL) - A set of network devices that MUST be made available in the container (moved into its network namespace, which it must have).' },
  'annotation-key-empty': { severity: 'error', spec: 'config.md', sentence: 'Keys MUST NOT be an empty string.' },
  'annotation-reserved': { severity: 'warning', spec: 'config.md', sentence: 'All other keys in the `org.opencontainers` namespace not specified in this above table are reserved and MUST NOT be used by subsequent specifications.' },
  'platform-not-linux': { severity: 'warning', spec: 'config.md', sentence: 'Runtimes MUST generate an error when invalid or unsupported values are encountered (a config with only another platform\'s section is validated against the schema, and not run).' },
  'unknown-field': { severity: 'warning', spec: 'config.md', sentence: 'Runtimes MAY log unknown properties but MUST otherwise ignore them.' },
  'duplicate-field': { severity: 'warning', spec: 'RFC 8259', sentence: 'The names within an object SHOULD be unique (JSON.parse keeps the last value).' },
  'json-syntax': { severity: 'error', spec: 'bundle.md', sentence: '`config.json`: This REQUIRED file MUST reside in the root of the bundle directory (and be JSON).' },
  'config-missing': { severity: 'error', spec: 'bundle.md', sentence: '`config.json`: This REQUIRED file MUST reside in the root of the bundle directory and MUST be named `config.json`.' },
} as const satisfies Record<string, RuleInfo>;

export type RuleId = keyof typeof RULES;

/** Warnings for `validate` alone: what every runc-driven engine sends, not worth a word at each create. */
export const VALIDATE_ONLY: ReadonlySet<string> = new Set<RuleId>(['device-file-mode-type']);

/** Rules the JSON schema enforces for us, listed for the documentation table. */
export const SCHEMA_ENFORCED: ReadonlyArray<{ what: string; spec: string; sentence: string }> = [
  { what: 'namespace types known', spec: 'config-linux.md', sentence: '`type` (string, REQUIRED) - namespace type. The following namespace types SHOULD be supported: pid, network, mount, ipc, uts, user, cgroup, time.' },
  { what: 'hook timeout > 0', spec: 'config.md', sentence: '`timeout` ... If set, `timeout` MUST be greater than zero.' },
  { what: 'seccomp actions, operators, architectures, flags known', spec: 'config-linux.md', sentence: 'A valid list of constants as of libseccomp v2.6.0 is shown below.' },
  { what: 'seccomp names non-empty', spec: 'config-linux.md', sentence: '`names` MUST contain at least one entry.' },
  { what: 'device type is c, b, u or p', spec: 'config-linux.md', sentence: '`type` (string, REQUIRED) - type of device: `c`, `b`, `u` or `p`.' },
  { what: 'process.cwd present', spec: 'config.md', sentence: '`cwd` (string, REQUIRED).' },
];
