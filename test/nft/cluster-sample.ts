// A small cluster with every part of cluster-wide policy a node's table
// renders: both tiers, all three actions, each peer kind (namespaces, pods,
// nodes, networks, domainNames), numbered, ranged and named ports, a rule
// failing closed, a NetworkPolicy isolating one pod (so Baseline skips it),
// and a dual-stack node. The golden (cluster-golden/), the nft -c check and
// docs/dataplane.md's sample are its render for node n1.
import { cport, node, ns, pod, podPeer, policy, rule, sel, tcp, type ClusterSpec } from '../generators/cluster-builders.ts';
import {
  accept, anp, banp, cnp, deny, domainNames, namedPort, networks, nodesPeer, nsPeerOf, nsSubject, pass, podsPeerOf, podsSubject, portOf,
} from '../generators/cluster-policies.ts';

export const SAMPLE_NODE = 'n1';

export const CLUSTER_SAMPLE: ClusterSpec = {
  namespaces: [ns('shop', { team: 'shop' }), ns('monitoring', { team: 'ops' })],
  nodes: [
    { ...node('n1', ['192.168.0.1', 'fd00:ffff::1'], ['10.244.1.0/24', 'fd00:10:244:1::/64']), labels: { role: 'worker' } },
    { ...node('n2', ['192.168.0.2'], ['10.244.2.0/24']), labels: { role: 'control-plane' } },
  ],
  pods: [
    pod('shop/api', { app: 'api' }, { node: 'n1', ips: ['10.244.1.10', 'fd00:10:244:1::10'], ports: [cport('http', 8080)] }),
    pod('shop/db', { app: 'db' }, { node: 'n1', ips: ['10.244.1.11'], ports: [cport('pg', 5432)] }),
    pod('monitoring/prometheus', { app: 'prometheus' }, { node: 'n2', ips: ['10.244.2.10'], ports: [cport('web', 9090)] }),
  ],
  policies: [policy('shop/db-from-api', { podSelector: sel({ app: 'db' }), ingress: [rule([podPeer(sel({ app: 'api' }))], [tcp('pg')])] })],
  clusterPolicies: [
    cnp('deny-metadata', {
      priority: 10, subject: nsSubject(sel()),
      egress: [deny([networks('169.254.169.254/32')], [], 'metadata'), pass([nodesPeer(sel({ role: 'control-plane' }))], [portOf('TCP', 6443)], 'api-server')],
    }),
    anp('monitoring', {
      priority: 20, subject: podsSubject(sel({ team: 'shop' }), sel()),
      ingress: [accept([nsPeerOf(sel({ team: 'ops' }))], [namedPort('http'), portOf('TCP', 9000, 9100)], 'scrape')],
      egress: [accept([podsPeerOf(sel({ team: 'ops' }), sel({ app: 'prometheus' }))], [namedPort('web')]), deny([domainNames('example.com')])],
    }),
    cnp('broken', { priority: 30, subject: nsSubject(sel({ team: 'shop' })), ingress: [{ action: 'Deny', peers: [networks('0.0.0.0/0', '::/0')], ports: [], failClosed: true }] }),
    banp({ subject: nsSubject(sel()), ingress: [deny([nsPeerOf(sel())], [portOf('UDP', 53)])], egress: [deny([networks('10.0.0.0/8', '10.244.0.0/16')])] }),
  ],
};
