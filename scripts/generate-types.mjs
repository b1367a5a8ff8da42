// Generates lib/spec/types.generated.ts from the vendored schemas with json-schema-to-typescript.
// The schemas leave most sub-objects anonymous; to get stable, readable type names (the ones
// runtime-spec's Go package uses where it has one) we give chosen sub-schemas a `title` in a
// temporary copy of the schemas and compile that. Run: npm run gen:types (--check: compare only)
import { mkdtempSync, writeFileSync, rmSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFromFile } from 'json-schema-to-typescript';
import { SCHEMA_DIR } from '../spec-schemas/loader.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'lib', 'spec', 'types.generated.ts');

// file → JSON pointer → type name.
const TITLES = {
  'config-schema.json': {
    '': 'Spec',
    '/properties/hooks': 'Hooks',
    '/properties/root': 'Root',
    '/properties/process': 'Process',
    '/properties/process/properties/consoleSize': 'ConsoleSize',
    '/properties/process/properties/user': 'User',
    '/properties/process/properties/capabilities': 'LinuxCapabilities',
    '/properties/process/properties/ioPriority': 'LinuxIOPriority',
    '/properties/process/properties/scheduler': 'Scheduler',
    '/properties/process/properties/rlimits/items': 'POSIXRlimit',
    '/properties/process/properties/execCPUAffinity': 'CPUAffinity',
  },
  'state-schema.json': { '': 'State' },
  'features-schema.json': { '': 'Features' },
  'features-linux.json': {
    '/linux': 'LinuxFeatures',
    '/linux/properties/cgroup': 'CgroupFeatures',
    '/linux/properties/seccomp': 'SeccompFeatures',
    '/linux/properties/apparmor': 'ApparmorFeatures',
    '/linux/properties/selinux': 'SelinuxFeatures',
    '/linux/properties/intelRdt': 'IntelRdtFeatures',
    '/linux/properties/mountExtensions': 'MountExtensionsFeatures',
    '/linux/properties/mountExtensions/properties/idmap': 'IDMapFeatures',
    '/linux/properties/netDevices': 'NetDevicesFeatures',
  },
  'defs.json': {
    '/definitions/Hook': 'Hook',
    '/definitions/Mount': 'Mount',
    '/definitions/IDMapping': 'LinuxIDMapping',
    '/definitions/annotations': 'Annotations',
    '/definitions/mapStringString': 'MapStringString',
  },
  'config-linux.json': {
    '/linux': 'Linux',
    '/linux/properties/resources': 'LinuxResources',
    '/linux/properties/resources/properties/pids': 'LinuxPids',
    '/linux/properties/resources/properties/blockIO': 'LinuxBlockIO',
    '/linux/properties/resources/properties/cpu': 'LinuxCPU',
    '/linux/properties/resources/properties/hugepageLimits/items': 'LinuxHugepageLimit',
    '/linux/properties/resources/properties/memory': 'LinuxMemory',
    '/linux/properties/resources/properties/network': 'LinuxNetwork',
    '/linux/properties/seccomp': 'LinuxSeccomp',
    '/linux/properties/intelRdt': 'LinuxIntelRdt',
    '/linux/properties/memoryPolicy': 'LinuxMemoryPolicy',
    '/linux/properties/timeOffsets': 'LinuxTimeOffsets',
  },
  'defs-linux.json': {
    '/definitions/Personality': 'LinuxPersonality',
    '/definitions/SeccompArch': 'LinuxSeccompArch',
    '/definitions/SeccompAction': 'LinuxSeccompAction',
    '/definitions/SeccompFlag': 'LinuxSeccompFlag',
    '/definitions/SeccompOperators': 'LinuxSeccompOperator',
    '/definitions/SyscallArg': 'LinuxSeccompArg',
    '/definitions/Syscall': 'LinuxSyscall',
    '/definitions/Device': 'LinuxDevice',
    '/definitions/NetDevice': 'LinuxNetDevice',
    '/definitions/blockIODevice': 'LinuxBlockIODevice',
    '/definitions/blockIODeviceWeight': 'LinuxWeightDevice',
    '/definitions/DeviceCgroup': 'LinuxDeviceCgroup',
    '/definitions/NetworkInterfacePriority': 'LinuxInterfacePriority',
    '/definitions/Rdma': 'LinuxRdma',
    '/definitions/NamespaceType': 'LinuxNamespaceType',
    '/definitions/NamespaceReference': 'LinuxNamespace',
    '/definitions/TimeOffsets': 'LinuxTimeOffset',
    '/definitions/RootfsPropagation': 'LinuxRootfsPropagation',
  },
  'config-windows.json': { '/windows': 'Windows' },
  'defs-windows.json': { '/definitions/Device': 'WindowsDevice' },
  'config-solaris.json': { '/solaris': 'Solaris' },
  'config-vm.json': { '/vm': 'VM' },
  'config-zos.json': { '/zos': 'ZOS' },
  'defs-zos.json': { '/definitions/NamespaceReference': 'ZOSNamespace' },
  'config-freebsd.json': { '/freebsd': 'FreeBSD' },
  'defs-freebsd.json': { '/definitions/Device': 'FreeBSDDevice' },
};

function at(doc, pointer) {
  let node = doc;
  for (const part of pointer.split('/').slice(1)) {
    node = node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  if (!node || typeof node !== 'object') throw new Error(`no sub-schema at ${pointer}`);
  return node;
}

const tmp = mkdtempSync(join(tmpdir(), 'ocirun-types-'));
try {
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8'));
    for (const [pointer, title] of Object.entries(TITLES[file] ?? {})) at(doc, pointer).title = title;
    writeFileSync(join(tmp, file), JSON.stringify(doc));
  }
  // One entry schema refers to the three documents, so shared definitions are emitted once.
  writeFileSync(
    join(tmp, 'documents.json'),
    JSON.stringify({
      title: 'SpecDocuments',
      type: 'object',
      properties: {
        config: { $ref: 'config-schema.json' },
        state: { $ref: 'state-schema.json' },
        features: { $ref: 'features-schema.json' },
      },
      additionalProperties: false,
    }),
  );
  const ts = await compileFromFile(join(tmp, 'documents.json'), {
    cwd: tmp,
    // The schemas accept extra fields, but typed code should only name the spec's own.
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    bannerComment:
      '/* Generated by scripts/generate-types.mjs from spec-schemas/ (runtime-spec v1.3.0).\n' +
      ' * Do not edit by hand: change the generator and run `npm run gen:types`. */',
  });
  if (process.argv.includes('--check')) {
    // Used by the tests: the committed file must be exactly what the generator produces.
    if (readFileSync(out, 'utf8') !== ts) {
      console.error(`${out} differs from the generator's output: run \`npm run gen:types\` (never edit it by hand)`);
      process.exitCode = 1;
    }
  } else {
    writeFileSync(out, ts);
    console.log(`wrote ${out}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
