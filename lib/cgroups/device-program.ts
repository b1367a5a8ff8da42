// The cgroup v2 device controller: an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) built from the
// rules of devices.ts. It gives the answer v1's list would: the last rule that matches a request
// decides it; a wildcard rule ("a *:* rwm") decides everything before it; a request no rule
// matches is allowed (a container without a wildcard deny keeps its parent's access).
import { BPF_DEVCG, DEV_CTX, encodeInsns, insn, type Insn } from '../../bindings/bpf.js';
import { isWildcard, type DeviceRule } from './devices.js';

const R_TYPE = 2;
const R_ACCESS = 3;
const R_MAJOR = 4;
const R_MINOR = 5;
const R_TMP = 6;

const ACCESS_BITS: Record<string, number> = { r: BPF_DEVCG.ACC_READ, w: BPF_DEVCG.ACC_WRITE, m: BPF_DEVCG.ACC_MKNOD };

export function deviceProgram(rules: readonly DeviceRule[]): Uint8Array {
  const out: Insn[] = [
    insn.loadWord(R_TYPE, 1, DEV_CTX.ACCESS_TYPE),
    insn.and(R_TYPE, 0xffff),
    insn.loadWord(R_ACCESS, 1, DEV_CTX.ACCESS_TYPE),
    insn.rsh(R_ACCESS, 16),
    insn.loadWord(R_MAJOR, 1, DEV_CTX.MAJOR),
    insn.loadWord(R_MINOR, 1, DEV_CTX.MINOR),
  ];
  let fallback = 1;
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    if (isWildcard(r)) {
      fallback = r.allow ? 1 : 0;
      break;
    }
    out.push(...ruleBlock(r));
  }
  out.push(insn.movImm(0, fallback), insn.exit());
  return encodeInsns(out);
}

/** The checks of one rule, each jumping past the block when it fails; then the verdict. */
function ruleBlock(r: DeviceRule): Insn[] {
  const checks: ((skip: number) => Insn[])[] = [];
  if (r.type !== 'a') checks.push((skip) => [insn.jne(R_TYPE, r.type === 'b' ? BPF_DEVCG.DEV_BLOCK : BPF_DEVCG.DEV_CHAR, skip)]);
  if (r.access !== 'rwm') {
    // Matches only when every access asked for is one the rule names.
    const mask = [...r.access].reduce((m, c) => m | ACCESS_BITS[c]!, 0);
    checks.push((skip) => [insn.mov(R_TMP, R_ACCESS), insn.and(R_TMP, ~mask & 7), insn.jne(R_TMP, 0, skip)]);
  }
  if (r.major !== -1) checks.push((skip) => [insn.jne(R_MAJOR, r.major, skip)]);
  if (r.minor !== -1) checks.push((skip) => [insn.jne(R_MINOR, r.minor, skip)]);
  const verdict = [insn.movImm(0, r.allow ? 1 : 0), insn.exit()];
  // Lay out back to front: each check's jump skips what follows it in the block.
  let tail: Insn[] = verdict;
  for (let k = checks.length - 1; k >= 0; k--) {
    tail = [...checks[k]!(tail.length), ...tail];
  }
  return tail;
}
