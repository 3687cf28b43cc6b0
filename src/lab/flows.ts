// Lists of flows to probe, built from a world's endpoints.

import { familyOf, IP_FAMILIES, type IPFamily } from '../model/addresses.ts';
import type { Flow } from './probe.ts';
import type { Protocol } from './spec.ts';
import type { EndpointKind, EndpointPlan } from './topology.ts';

export interface FlowFilter {
  /** Source endpoint ids (default: every pod and outside host). */
  from?: readonly string[];
  /** Target endpoint ids (default: every pod and outside host). */
  to?: readonly string[];
  protocols?: readonly Protocol[];
  families?: readonly IPFamily[];
  /** Endpoint kinds taking part when from/to are not given. Default pods and outside hosts. */
  kinds?: readonly EndpointKind[];
}

/** Every flow from a source to each address and served port of each other target. */
export function flowsBetween(endpoints: readonly EndpointPlan[], filter: FlowFilter = {}): Flow[] {
  const kinds = filter.kinds ?? ['pod', 'outside'];
  const pick = (ids: readonly string[] | undefined): EndpointPlan[] =>
    ids === undefined
      ? endpoints.filter((e) => kinds.includes(e.kind))
      : ids.map((id) => {
          const e = endpoints.find((x) => x.id === id);
          if (!e) throw new Error(`flowsBetween: unknown endpoint ${id}`);
          return e;
        });
  const protocols = filter.protocols ?? ['TCP', 'UDP'];
  const families = filter.families ?? IP_FAMILIES;
  const flows: Flow[] = [];
  for (const src of pick(filter.from)) {
    for (const dst of pick(filter.to)) {
      if (dst.id === src.id) continue;
      for (const to of dst.addresses) {
        const fam = familyOf(to);
        if (!families.includes(fam)) continue;
        if (!src.addresses.some((a) => familyOf(a) === fam)) continue;
        for (const protocol of protocols) {
          for (const port of protocol === 'TCP' ? dst.tcpPorts : dst.udpPorts) flows.push({ from: src.id, to, protocol, port });
        }
      }
    }
  }
  return flows;
}
