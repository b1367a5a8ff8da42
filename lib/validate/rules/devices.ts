// linux.devices: numbers where the type needs them, in the kernel's range, absolute unique paths.
import type { RuleContext } from '../types.js';
import { arrayAt, numberAt, objectAt, ptr, q, stringAt } from '../json.js';

// dev_t as the kernel encodes it: 12 bits of major, 20 bits of minor.
const MAX_MAJOR = 4095;
const MAX_MINOR = 1048575;

export default function devices(ctx: RuleContext): void {
  const paths = new Map<string, { index: number; device: string }>();
  const numbers = new Map<string, number>();
  arrayAt(objectAt(ctx.config.linux)?.devices).forEach((entry, i) => {
    const d = objectAt(entry);
    if (!d) return;
    const at = ptr('/linux/devices', i);
    const type = stringAt(d.type);
    const path = stringAt(d.path);
    const major = numberAt(d.major);
    const minor = numberAt(d.minor);
    // A FIFO's numbers are optional, not forbidden (config-linux.md; runc accepts them): unused.
    if (type !== undefined && type !== 'p') {
      for (const [field, value] of [['major', d.major], ['minor', d.minor]] as const) {
        if (value === undefined) ctx.error(ptr(at, field), 'device-number-required', `${type === 'b' ? 'block' : 'character'} device ${path ?? ''} needs a ${field} number`);
      }
    }
    for (const [field, value, max] of [['major', major, MAX_MAJOR], ['minor', minor, MAX_MINOR]] as const) {
      if (value !== undefined && (value < 0 || value > max)) {
        ctx.error(ptr(at, field), 'device-number-range', `${field} number ${value} is out of range: Linux accepts 0 to ${max}`);
      }
    }
    if (path !== undefined) {
      if (!path.startsWith('/')) ctx.error(ptr(at, 'path'), 'device-path-absolute', `device path ${q(path)} must be an absolute path inside the container (such as "/dev/fuse")`);
      // The same device listed twice is only redundant (device-number-duplicate says so).
      const device = `${type} ${major}:${minor}`;
      const first = paths.get(path);
      if (first === undefined) paths.set(path, { index: i, device });
      else if (first.device !== device) {
        ctx.error(ptr(at, 'path'), 'device-path-duplicate', `${path} is already the device ${first.device} (at /linux/devices/${first.index}): one path cannot be two devices`);
      }
    }
    if (type !== undefined && type !== 'p' && major !== undefined && minor !== undefined) {
      const key = `${type} ${major}:${minor}`;
      const first = numbers.get(key);
      if (first !== undefined) ctx.warn(at, 'device-number-duplicate', `device ${key} is also created at /linux/devices/${first}: the same device should be listed once`);
      else numbers.set(key, i);
    }
  });
}
