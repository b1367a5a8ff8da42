#!/usr/bin/env node
// A runtime with one feature switched off, for testing the conformance suite itself: it runs
// OCIRUN_REAL_RUNTIME (default: this package's CLI) with the same arguments, except that
//   FEATURE_OFF=hooks    create/run refuse a config with any hook, as a runtime without hooks does
//   FEATURE_OFF=seccomp  create/run refuse a config with linux.seccomp
//   FEATURE_OFF=cgroups  create/run silently drop linux.resources and linux.cgroupsPath (the
//                        worst case: accepted and ignored), pause/resume/update/events refuse
// None of the feature's conformance tests may pass against it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const off = process.env.FEATURE_OFF;
const real = process.env.OCIRUN_REAL_RUNTIME ?? resolve(import.meta.dirname, '../../dist/cli/ocirun.cjs');
const args = process.argv.slice(2);

/** the subcommand: the first word that is not a global flag or its value */
function verb() {
  for (let i = 0; i < args.length; i++) {
    if (['--root', '--log', '--log-format', '--rootless', '--criu'].includes(args[i])) i++;
    else if (!args[i].startsWith('-')) return args[i];
  }
  return undefined;
}

function bundleDir() {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--bundle' || args[i] === '-b') return resolve(args[i + 1] ?? '.');
    if (args[i].startsWith('--bundle=')) return resolve(args[i].slice('--bundle='.length));
  }
  return process.cwd();
}

function refuse(what) {
  process.stderr.write(`feature-off: ${what} is not supported by this runtime\n`);
  process.exit(1);
}

const v = verb();
if ((v === 'create' || v === 'run') && off) {
  const path = join(bundleDir(), 'config.json');
  let config;
  try {
    config = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    config = undefined; // the real runtime reports a missing or broken config.json
  }
  if (config) {
    if (off === 'hooks' && Object.values(config.hooks ?? {}).some((list) => Array.isArray(list) && list.length > 0)) refuse('hooks');
    if (off === 'seccomp' && config.linux?.seccomp) refuse('linux.seccomp');
    if (off === 'cgroups' && (config.linux?.resources || config.linux?.cgroupsPath)) {
      delete config.linux.resources;
      delete config.linux.cgroupsPath;
      writeFileSync(path, JSON.stringify(config, null, 2));
    }
  }
}
if (off === 'cgroups' && ['pause', 'resume', 'update', 'events'].includes(v)) refuse(`${v} (cgroups)`);

const node = /\.(c|m)?js$/.test(real);
const r = spawnSync(node ? process.execPath : real, [...(node ? [real] : []), ...args], { stdio: 'inherit' });
process.exit(r.status ?? 128 + 9);
