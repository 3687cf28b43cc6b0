// Kernel object names: derived from what they stand for, never from the sync
// that made them, so deltas can address them and `nft list` reads like the
// YAML. Names here are plain text: the renderer writes each one through
// nftName (src/nft/syntax.ts), which escapes anything nft would not read as
// one name token, so a hostile policy or namespace name cannot inject syntax.
// Very long Kubernetes names are shortened here with a hash, so that a valid
// Kubernetes name stays readable (nft takes at most 255 bytes).
import { createHash } from 'node:crypto';
import type { Direction } from '../model/types.ts';

const MAX = 200;

function cap(name: string): string {
  if (name.length <= MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX - 13)}-${hash}`;
}

const dir = (d: Direction): string => (d === 'ingress' ? 'in' : 'out');

/** Per-pod chain: "pod-in/x/a". */
export function podChainName(podKey: string, direction: Direction): string {
  return cap(`pod-${dir(direction)}/${podKey}`);
}

/** Per-policy chain: "pol-in/x/allow-web". */
export function policyChainName(policyKey: string, direction: Direction): string {
  return cap(`pol-${dir(direction)}/${policyKey}`);
}

/** Per cluster policy chain: "cnp-out/deny-metadata", "anp-in/x", "banp-out/default" (from its key "cnp/name"). */
export function clusterChainName(clusterKey: string, direction: Direction): string {
  const slash = clusterKey.indexOf('/');
  return cap(`${clusterKey.slice(0, slash)}-${dir(direction)}${clusterKey.slice(slash)}`);
}
