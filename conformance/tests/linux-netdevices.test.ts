// config-linux.md#network-devices: moving a host interface (one end of a veth pair made per test) into the
// container network namespace.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, describeResult, expect, featureTest, spec, type Harness } from '../harness/harness.js';
import { byProbe, type Feature } from '../harness/features.js';
import { command } from '../harness/requires.js';

/**
 * A fresh veth pair; the returned end (with a permanent global IPv4 address) is the one the
 * container gets. veth rather than dummy: not every kernel has the dummy driver. The host end is
 * deleted at cleanup if still here (destroying the container namespace removes both ends).
 */
function hostInterface(h: Harness): string {
  h.requires(command('/usr/sbin/ip'), vethSupported);
  const name = `cx${randomBytes(4).toString('hex')}`;
  execFileSync('/usr/sbin/ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
  h.defer(() => execFileSync('/usr/sbin/ip', ['link', 'del', `${name}p`], { stdio: 'ignore' }));
  execFileSync('/usr/sbin/ip', ['addr', 'add', '10.123.45.6/24', 'dev', name]);
  return name;
}

let vethOk: boolean | undefined;
function vethSupported(): string | undefined {
  if (vethOk === undefined) {
    const probe = `cxprobe${randomBytes(2).toString('hex')}`;
    try {
      execFileSync('/usr/sbin/ip', ['link', 'add', probe, 'type', 'veth', 'peer', 'name', `${probe}p`], { stdio: 'ignore' });
      execFileSync('/usr/sbin/ip', ['link', 'del', probe], { stdio: 'ignore' });
      vethOk = true;
    } catch {
      vethOk = false;
    }
  }
  return vethOk ? undefined : 'kernel cannot create veth network interfaces';
}

const hostHas = (name: string) => {
  try {
    execFileSync('/usr/sbin/ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** netDevices: a host interface moved into the container shows up there under its new name */
const NETDEVICES: Feature = {
  name: 'netDevices',
  async control(h) {
    const dev = hostInterface(h);
    const r = await h.probe('ls /sys/class/net', (c) => (c.linux.netDevices = { [dev]: { name: 'ctr0' } }));
    return byProbe(r, (out) => (out.split(/\s+/).includes('ctr0') ? undefined : 'the device did not appear in the container'));
  },
};
const test = featureTest(NETDEVICES);

describe('config-linux.md#network-devices', () => {
  test(spec('config-linux.md#network-devices', 'LNX-NETDEV-MOVE', 'a netDevices entry is moved into the container namespace under its new name'), async ({ h }) => {
    const dev = hostInterface(h);
    const b = h.bundle({ args: ['sleep', '600'], patch: (c) => (c.linux.netDevices = { [dev]: { name: 'ctr0' } }) });
    await h.mustCreate(b);
    expect(hostHas(dev)).toBe(false);
    const r = await h.exec(b.id, ['ls', '/sys/class/net']);
    expect(r.stdout.trim().split(/\s+/).sort(), describeResult(r)).toEqual(['ctr0', 'lo']);
  });

  test(spec('config-linux.md#network-devices', 'LNX-NETDEV-UP', 'a moved network device is set up'), async ({ h }) => {
    const dev = hostInterface(h);
    const out = await h.mustProbe('cat /sys/class/net/ctr0/flags', (c) => (c.linux.netDevices = { [dev]: { name: 'ctr0' } }));
    expect(Number(out.trim()) & 1).toBe(1);
  });

  test(spec('config-linux.md#network-devices', 'LNX-NETDEV-ADDR', 'a moved network device keeps its permanent global addresses'), async ({ h }) => {
    const dev = hostInterface(h);
    const out = await h.mustProbe('ip -o -4 addr show dev ctr0', (c) => (c.linux.netDevices = { [dev]: { name: 'ctr0' } }));
    expect(out).toContain('10.123.45.6/24');
  });

  featureTest(NETDEVICES, { mustWork: true })(spec('config-linux.md#network-devices', 'LNX-NETDEV-EXISTS', 'a name that already exists in the container namespace generates an error'), async ({ h }) => {
    const dev = hostInterface(h);
    const b = h.bundle({ args: ['true'], patch: (c) => (c.linux.netDevices = { [dev]: { name: 'lo' } }) });
    const r = await h.create(b);
    h.expectError(r, /\blo\b|exists/i);
  });

  test(spec('config-linux.md#network-devices', 'LNX-NETDEV-TEMPLATE', 'a name ending in %d lets the kernel pick a unique name'), async ({ h }) => {
    const dev = hostInterface(h);
    const out = await h.mustProbe('ls /sys/class/net', (c) => (c.linux.netDevices = { [dev]: { name: 'ctr%d' } }));
    expect(out.trim().split(/\s+/).sort()).toEqual(['ctr0', 'lo']);
  });

  test(spec('config-linux.md#network-devices', 'LNX-NETDEV-NAME-DEFAULT', 'without name, the device keeps its host name'), async ({ h }) => {
    const dev = hostInterface(h);
    const out = await h.mustProbe('ls /sys/class/net', (c) => (c.linux.netDevices = { [dev]: {} }));
    expect(out.trim().split(/\s+/).sort()).toEqual([dev, 'lo'].sort());
  });

  test(spec('config-linux.md#namespace-lifecycle-and-container-termination', 'LNX-NETDEV-NOT-RETURNED', 'MUST NOT: the device is not moved back to the host when the container is deleted'), async ({ h }) => {
    const dev = hostInterface(h);
    const b = h.bundle({ args: ['true'], patch: (c) => (c.linux.netDevices = { [dev]: {} }) });
    await h.mustCreate(b);
    expect(hostHas(dev)).toBe(false);
    await h.mustStart(b.id);
    expect(await h.waitStatus(b.id, 'stopped')).toBe('stopped');
    const d = await h.delete(b.id);
    expect(d.code, describeResult(d)).toBe(0);
    // a veth end dies with the namespace; moved back out, it would show up on the host again
    expect(hostHas(dev)).toBe(false);
  });
});
