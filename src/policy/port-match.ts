// NetworkPolicyPort matching, as upstream defines it: the protocol must equal
// the rule's (TCP when the YAML leaves it out); no port = every port of that
// protocol; port..endPort is an inclusive range; a named port is looked up in
// the DESTINATION pod's container ports for that protocol, so it never
// matches a destination that is not a known pod. A flow of another protocol
// (ICMP, ...) matches no port entry: only a rule without ports allows it.
import type { Pod, PolicyPort } from '../model/types.ts';
import { podKey } from '../model/types.ts';

export interface PortCheck {
  readonly matched: boolean;
  readonly field?: string;
  readonly reason?: string;
}

const MATCHED: PortCheck = { matched: true };

/** The number a named port has on a pod for a protocol, if any. */
export function resolveNamedPort(pod: Pod, name: string, protocol: string): number | undefined {
  return pod.ports.find((p) => p.name === name && p.protocol === protocol)?.port;
}

export function portMatches(rp: PolicyPort, protocol: string, port: number | undefined, dstPod: Pod | undefined): boolean {
  if (rp.protocol !== protocol) return false;
  if (rp.port === undefined) return true;
  if (port === undefined) return false;
  if (typeof rp.port === 'number') return rp.endPort === undefined ? port === rp.port : port >= rp.port && port <= rp.endPort;
  return dstPod !== undefined && resolveNamedPort(dstPod, rp.port, protocol) === port;
}

/** The same decision as portMatches, with the field and reason of a failure. */
export function checkPort(rp: PolicyPort, protocol: string, port: number | undefined, dstPod: Pod | undefined): PortCheck {
  if (rp.protocol !== protocol) {
    const defaulted = rp.protocolDefaulted ? ' (protocol not set, so it defaulted to TCP)' : '';
    return { matched: false, field: 'protocol', reason: `rule allows ${rp.protocol}${defaulted}, flow is ${protocol}` };
  }
  if (rp.port === undefined) return MATCHED;
  if (port === undefined) return { matched: false, field: 'port', reason: `rule names a port, the ${protocol} flow has none` };
  if (typeof rp.port === 'number') {
    if (rp.endPort !== undefined) {
      return port >= rp.port && port <= rp.endPort
        ? MATCHED
        : { matched: false, field: 'endPort', reason: `port ${port} is outside ${rp.port}-${rp.endPort}` };
    }
    return port === rp.port ? MATCHED : { matched: false, field: 'port', reason: `rule allows port ${rp.port}, flow is to ${port}` };
  }
  const name = rp.port;
  if (!dstPod) {
    return { matched: false, field: 'port', reason: `named port ${name} only matches pods; the destination is not a known pod` };
  }
  const resolved = resolveNamedPort(dstPod, name, protocol);
  if (resolved === undefined) {
    const other = dstPod.ports.find((p) => p.name === name);
    const hint = other ? ` (it is ${other.protocol} ${other.port} there)` : '';
    return { matched: false, field: 'port', reason: `port name ${name} is not a ${protocol} port of pod ${podKey(dstPod)}${hint}` };
  }
  return resolved === port
    ? MATCHED
    : { matched: false, field: 'port', reason: `port ${name} is ${resolved} on pod ${podKey(dstPod)}, flow is to ${port}` };
}
