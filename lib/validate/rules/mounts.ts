// mounts: destinations, bind sources and the per-mount id-mapping rules.
import type { RuleContext } from '../types.js';
import { arrayAt, objectAt, ptr, q, stringAt } from '../json.js';
import { namespacesOf } from './namespaces.js';
import { checkMappings } from './user-namespace.js';

export default function mounts(ctx: RuleContext): void {
  const userns = namespacesOf(ctx.config).has('user');
  arrayAt(ctx.config.mounts).forEach((entry, i) => {
    const m = objectAt(entry);
    if (!m) return;
    const at = ptr('/mounts', i);
    const dest = stringAt(m.destination);
    if (dest === '') ctx.error(ptr(at, 'destination'), 'mount-destination-empty', 'mount destination is empty: give the path inside the container');
    else if (dest !== undefined && !dest.startsWith('/')) {
      ctx.warn(ptr(at, 'destination'), 'mount-destination-relative', `mount destination ${q(dest)} is relative (deprecated): it is taken as ${q('/' + dest)}; write it that way`);
    }
    const options = arrayAt(m.options).filter((o): o is string => typeof o === 'string');
    const bind = options.includes('bind') || options.includes('rbind') || m.type === 'bind';
    if (bind && (m.source === undefined || m.source === '')) {
      ctx.error(ptr(at, 'source'), 'mount-bind-source', `bind mount on ${dest ?? '?'} has no source: say which host path to bind`);
    }
    const hasUid = Array.isArray(m.uidMappings) && m.uidMappings.length > 0;
    const hasGid = Array.isArray(m.gidMappings) && m.gidMappings.length > 0;
    const idmapOption = options.find((o) => o === 'idmap' || o === 'ridmap');
    if (hasUid !== hasGid) {
      const [have, missing] = hasUid ? ['uidMappings', 'gidMappings'] : ['gidMappings', 'uidMappings'];
      ctx.error(ptr(at, missing), 'mount-idmap-pair', `mount on ${dest ?? '?'} has ${have} but no ${missing}: an id-mapped mount needs both`);
    }
    if ((hasUid || hasGid) && !idmapOption) {
      ctx.warn(ptr(at, 'options'), 'mount-idmap-option', `mount on ${dest ?? '?'} has id mappings but no "idmap" or "ridmap" option: add one so older runtimes do not silently ignore the mappings`);
    }
    if (idmapOption && !hasUid && !hasGid && !userns) {
      ctx.error(ptr(at, 'options'), 'mount-idmap-no-mapping', `mount on ${dest ?? '?'} asks for ${q(idmapOption)} but gives no uidMappings/gidMappings and the container has no user namespace to take them from`);
    }
    if ((idmapOption || hasUid || hasGid) && !bind) {
      ctx.error(ptr(at, 'options'), 'mount-idmap-bind-only', `mount on ${dest ?? '?'} is id-mapped but not a bind mount: id mappings apply only to bind mounts (add "bind" or "rbind")`);
    }
    if (hasUid) checkMappings(ctx, m.uidMappings, ptr(at, 'uidMappings'), `mounts[${i}].uidMappings`);
    if (hasGid) checkMappings(ctx, m.gidMappings, ptr(at, 'gidMappings'), `mounts[${i}].gidMappings`);
  });
}
