// The addresses of the network namespace the agent runs in (the node's, host
// network): its InternalIP, and on a flannel node cni0's gateway address,
// the source of what the node itself sends to its pods (the route to the pod
// CIDR is `dev cni0 src <gateway>`). The conntrack sweep needs them to judge
// a connection the node opened to one of its pods as the node's, as the
// kernel did (output hook), and not as an unknown pod's (an address in the
// pod CIDR that no pod holds). Read with Node's os.networkInterfaces(): no
// command, no netlink, the kernel's list at the moment of the call.
import os from 'node:os';
import { parseIp } from '../model/addresses.ts';

/** Every address of this process's network namespace, canonical (model/addresses.ts), loopback included. */
export function localAddresses(): string[] {
  const out = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) {
      const parsed = parseIp(a.address);
      if (parsed.ok) out.add(parsed.ip);
    }
  }
  return [...out];
}
