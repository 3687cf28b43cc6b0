// Property: a pair's connection set contains a connection exactly when the
// engine allows it. The oracle is the engine itself, asked about every port
// 1-65535 of TCP, UDP and SCTP and about protocols without ports, for pairs
// drawn from random clusters (pods, host-network pods, nodes, outside and
// unknown-pod addresses, both families). A second, cheaper property checks
// many more clusters at each range's edges and their neighbours. The two
// properties are connection-set-properties.ts's, which
// cluster-policies.property.test.ts runs on clusters with cluster-wide
// policies.
// FC_SEED=<seed> (plus FC_PATH=<path>) replays a failure.
import { describe } from 'vitest';
import { clusterArb } from '../generators/arbitraries.ts';
import { connectionSetProperties } from './connection-set-properties.ts';

describe('connection sets against the engine', () => {
  connectionSetProperties({
    objects: clusterArb({ maxPods: 8, maxPolicies: 6 }),
    otherProtocols: ['ICMP', 'ICMPv6', 'GRE', 'ESP'],
    // The container ports of the drawn pods and the policies' numbers, where sets are most often cut.
    ports: [53, 54, 79, 80, 81, 443, 444, 8000, 8080, 8081, 8100, 8101, 9000, 9090, 9091],
    runs: { everyPort: 60, edges: 300 },
    timeoutMs: 60_000,
  });
});
