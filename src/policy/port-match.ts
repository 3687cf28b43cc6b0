// NetworkPolicyPort matching, as upstream defines it: the protocol must equal
// the rule's (TCP when the YAML leaves it out); no port = every port of that
// protocol; port..endPort is an inclusive range; a named port is looked up in
// the DESTINATION pod's container ports for that protocol, so it never
// matches a destination that is not a known pod. A flow of another protocol
// (ICMP, ...) matches no port entry: only a rule without ports allows it.
import type { Pod, PolicyPort } from '../model/types.ts';
import { podKey } from '../model/types.ts';
import { Stage, type Miss, type Tracer } from './tracer.ts';

const PROTOCOL: Miss = { stage: Stage.Protocol, field: 'protocol' };
const PORT: Miss = { stage: Stage.Port, field: 'port' };
const END_PORT: Miss = { stage: Stage.Port, field: 'endPort' };

/** The number a named port has on a pod for a protocol, if any. */
export function resolveNamedPort(pod: Pod, name: string, protocol: string): number | undefined {
  return pod.ports.find((p) => p.name === name && p.protocol === protocol)?.port;
}

/** Why a port name resolves to no port of the pod for the protocol, in words. */
function unresolved(pod: Pod, name: string, protocol: string): string {
  const other = pod.ports.find((p) => p.name === name);
  const hint = other ? ` (it is ${other.protocol} ${other.port} there)` : '';
  return `port name ${name} is not a ${protocol} port of pod ${podKey(pod)}${hint}`;
}

/** Whether a flow's protocol and port are the entry's: undefined when they are, else the miss. */
export function portMiss(rp: PolicyPort, protocol: string, port: number | undefined, dstPod: Pod | undefined, trace?: Tracer): Miss | undefined {
  if (rp.protocol !== protocol) {
    const defaulted = rp.protocolDefaulted ? ' (protocol not set, so it defaulted to TCP)' : '';
    return trace?.because(PROTOCOL, `rule allows ${rp.protocol}${defaulted}, flow is ${protocol}`) ?? PROTOCOL;
  }
  if (rp.port === undefined) return undefined;
  if (port === undefined) return trace?.because(PORT, `rule names a port, the ${protocol} flow has none`) ?? PORT;
  if (typeof rp.port === 'number') {
    if (rp.endPort !== undefined) {
      if (port >= rp.port && port <= rp.endPort) return undefined;
      return trace?.because(END_PORT, `port ${port} is outside ${rp.port}-${rp.endPort}`) ?? END_PORT;
    }
    return port === rp.port ? undefined : trace?.because(PORT, `rule allows port ${rp.port}, flow is to ${port}`) ?? PORT;
  }
  const name = rp.port;
  if (!dstPod) return trace?.because(PORT, `named port ${name} only matches pods; the destination is not a known pod`) ?? PORT;
  const resolved = resolveNamedPort(dstPod, name, protocol);
  if (resolved === port) return undefined;
  if (resolved === undefined) return trace?.because(PORT, unresolved(dstPod, name, protocol)) ?? PORT;
  return trace?.because(PORT, `port ${name} is ${resolved} on pod ${podKey(dstPod)}, flow is to ${port}`) ?? PORT;
}

/** portMiss as a predicate, for lint. */
export function portMatches(rp: PolicyPort, protocol: string, port: number | undefined, dstPod: Pod | undefined): boolean {
  return portMiss(rp, protocol, port, dstPod) === undefined;
}

/** Whether a flow's protocol and port are some entry's of a rule's ports (no entries: every protocol and port). */
export function portsMatch(ports: readonly PolicyPort[], protocol: string, port: number | undefined, dstPod: Pod | undefined): boolean {
  return ports.length === 0 || ports.some((rp) => portMiss(rp, protocol, port, dstPod) === undefined);
}
