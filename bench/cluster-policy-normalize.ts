// What reading cluster-wide policies costs: 1,000 ClusterNetworkPolicies
// (v1alpha2) and 1,000 AdminNetworkPolicies (v1alpha1), each at the CRDs'
// limits' scale (25 ingress and 25 egress rules of 4 peers and 4 ports),
// normalized with --validate=strict and =ignore, and the same objects with
// one error in every rule (each rule failing closed). Decoding the YAML is
// left out (large-inputs measures it). BENCH_POLICIES=<n> sets the count of each kind.
import { assembleCluster } from '../src/sources/assemble-cluster.ts';
import type { RawObject } from '../src/sources/normalize-object.ts';
import type { ValidationMode } from '../src/sources/schema-check.ts';
import { type Bench, count, median, millis, timed } from './bench.ts';

const POLICIES = Number(process.env.BENCH_POLICIES ?? 1000);
const RULES = 25;
const RUNS = 5;

const sel = (i: number): unknown => ({ matchLabels: { team: `t${i % 7}` }, matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] });

function cnp(i: number, broken: boolean): unknown {
  const protocols = [{ tcp: { destinationPort: { number: 80 } } }, { udp: { destinationPort: { range: { start: 5000, end: 5100 } } } }, { sctp: { destinationPort: { number: 9 } } }, { tcp: { destinationPort: { number: broken ? 0 : 443 } } }];
  const rule = (r: number, to: boolean): unknown => ({
    name: `r${r}`, action: ['Accept', 'Deny', 'Pass'][r % 3],
    [to ? 'to' : 'from']: to
      ? [{ namespaces: sel(r) }, { pods: { podSelector: sel(r + 1) } }, { networks: [`10.${r}.0.0/16`, 'fd00::/8'] }, { nodes: sel(r + 2) }]
      : [{ namespaces: sel(r) }, { pods: { namespaceSelector: sel(r), podSelector: sel(r + 1) } }, { namespaces: {} }, { pods: { podSelector: {} } }],
    protocols,
  });
  return {
    apiVersion: 'policy.networking.k8s.io/v1alpha2', kind: 'ClusterNetworkPolicy', metadata: { name: `cnp-${i}` },
    spec: {
      tier: i % 2 === 0 ? 'Admin' : 'Baseline', priority: i % 1001, subject: { namespaces: sel(i) },
      ingress: Array.from({ length: RULES }, (_, r) => rule(r, false)), egress: Array.from({ length: RULES }, (_, r) => rule(r, true)),
    },
  };
}

function anp(i: number, broken: boolean): unknown {
  const ports = [{ portNumber: { port: 80 } }, { portRange: { protocol: 'UDP', start: 5000, end: 5100 } }, { portNumber: { protocol: 'SCTP', port: 9 } }, { portNumber: { port: broken ? 0 : 443 } }];
  const rule = (r: number, to: boolean): unknown => ({
    name: `r${r}`, action: ['Allow', 'Deny', 'Pass'][r % 3],
    [to ? 'to' : 'from']: to
      ? [{ namespaces: sel(r) }, { pods: { namespaceSelector: {}, podSelector: sel(r + 1) } }, { networks: [`10.${r}.0.0/16`] }, { nodes: sel(r + 2) }]
      : [{ namespaces: sel(r) }, { pods: { namespaceSelector: sel(r), podSelector: sel(r + 1) } }, { namespaces: {} }, { pods: { namespaceSelector: {}, podSelector: {} } }],
    ports,
  });
  return {
    apiVersion: 'policy.networking.k8s.io/v1alpha1', kind: 'AdminNetworkPolicy', metadata: { name: `anp-${i}` },
    spec: { priority: i % 1001, subject: { namespaces: sel(i) }, ingress: Array.from({ length: RULES }, (_, r) => rule(r, false)), egress: Array.from({ length: RULES }, (_, r) => rule(r, true)) },
  };
}

function objects(broken: boolean): RawObject[] {
  const values = Array.from({ length: POLICIES }, (_, i) => [cnp(i, broken), anp(i, broken)]).flat();
  return values.map((value, document) => ({ source: { file: 'bench.yaml', document }, value }));
}

export function runClusterPolicyNormalize(report: (line: string) => void): void {
  for (const broken of [false, true]) {
    const docs = objects(broken);
    const ms = (validate: ValidationMode): number => median(Array.from({ length: RUNS }, () => timed(() => assembleCluster(docs, { validate })).ms));
    ms('strict'); // warm-up
    const ignore = ms('ignore');
    const strict = ms('strict');
    const each = (t: number): string => `${((t * 1000) / docs.length).toFixed(0)} µs a policy`;
    report(`${broken ? 'every rule with an error (failing closed)' : 'sound'}: ${count(docs.length)} policies of ${RULES * 2} rules: ` +
      `${millis(strict)} strict (${each(strict)}), ${millis(ignore)} --validate=ignore (${each(ignore)}), median of ${RUNS}`);
  }
}

export const clusterPolicyNormalize: Bench = {
  name: 'cluster-policy-normalize',
  description: 'reading 1k ClusterNetworkPolicies and 1k AdminNetworkPolicies of 50 rules each, sound and with an error in every rule',
  run: (report) => runClusterPolicyNormalize(report),
};

if (import.meta.main) runClusterPolicyNormalize((line) => console.log(line));
