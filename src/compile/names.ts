// Kernel object names: derived from what they stand for, never from the sync
// that made them, so deltas can address them and `nft list` reads like the
// YAML. nft accepts "/", "-" and "." inside names; names are capped at 255
// bytes, so very long Kubernetes names are shortened with a hash.
import { createHash } from 'node:crypto';
import type { IPFamily } from '../model/addresses.ts';
import type { Direction } from '../model/types.ts';

const MAX = 200;

function cap(name: string): string {
  if (name.length <= MAX) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 12);
  return `${name.slice(0, MAX - 13)}~${hash}`;
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

/** Peer set of one rule's peer: "peer-in/x/allow-web/0/1/v4". */
export function peerSetName(policyKey: string, direction: Direction, rule: number, peer: number, family: IPFamily): string {
  return cap(`peer-${dir(direction)}/${policyKey}/${rule}/${peer}/v${family}`);
}

/** Named-port set of one rule's port (and peer, for egress): "port-in/x/allow-web/0/1/2/v4". */
export function namedPortSetName(
  policyKey: string, direction: Direction, rule: number, peer: number | null, port: number, family: IPFamily,
): string {
  return cap(`port-${dir(direction)}/${policyKey}/${rule}/${peer ?? 'any'}/${port}/v${family}`);
}
