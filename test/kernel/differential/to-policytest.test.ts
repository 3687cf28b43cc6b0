// The counterexample writer: its Kubernetes YAML loads back through the
// sources to the very model it was written from, and its PolicyTest files run
// with `nftpol test` and pass with the engine's verdicts. No root needed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleCluster } from '../../../src/sources/assemble-cluster.ts';
import { ClusterState } from '../../../src/model/cluster-state.ts';
import type { ClusterObjects } from '../../../src/model/types.ts';
import { PolicyEngine } from '../../../src/policy/engine.ts';
import { collectPolicyTests } from '../../../src/policytest/collect-tests.ts';
import { modelVerdicts } from '../../../src/policytest/verdict-source.ts';
import { TestWorldLoader } from '../../../src/policytest/load-test-world.ts';
import { runPolicyTests } from '../../../src/policytest/run-tests.ts';
import { loadManifests } from '../../../src/sources/load-cluster.ts';
import { ALL, DoesNotExist, Exists, In, NotIn, andPeer, cport, ipBlock, node, nsPeer, ns, pod, podPeer, policy, pport, rule, sel } from '../../generators/cluster-builders.ts';
import { diffCaseArb, type DiffCase } from './cluster-arb.ts';
import { candidateFlows, sampleFlows } from './flows.ts';
import { caseEndpoints, kubernetesYaml, policyTestYaml } from './to-policytest.ts';

const RUNS = Number(process.env.FC_RUNS ?? 100);

/** The model without `source` fields (the loader records where each object came from). */
function withoutSources(o: ClusterObjects): ClusterObjects {
  const strip = <T extends { source?: unknown }>(x: T): T => {
    const { source: _source, ...rest } = x;
    return rest as T;
  };
  return {
    namespaces: o.namespaces.map(strip), pods: o.pods.map(strip), policies: o.policies.map(strip), nodes: o.nodes.map(strip),
    ...(o.clusterPolicies !== undefined && o.clusterPolicies.length > 0 && { clusterPolicies: o.clusterPolicies.map(strip) }),
  };
}

/** Loads YAML text as the sources do, from memory. */
function loadYaml(text: string): ReturnType<typeof assembleCluster> {
  const raws = parseAllDocuments(text).flatMap((doc, document) => {
    const value: unknown = doc.toJS();
    return value === null ? [] : [{ source: { file: 'mem.yaml', document }, value }];
  });
  return assembleCluster(raws);
}

/** Objects that the generator never makes: other phases, host network, no address, null vs {}, empty rules, SCTP. */
const edgeCases: ClusterObjects = {
  namespaces: [ns('x', { team: 'a' }), ns('y')],
  pods: [
    pod('x/a', { app: 'a' }, { ips: ['10.244.1.10', 'fd00:10:244:1::10'], node: 'node-1', ports: [cport('http', 80), cport('dns', 53, 'UDP'), cport(undefined, 9090)] }),
    pod('x/pending', {}, { ips: ['10.244.1.11'], node: 'node-1', phase: 'Pending' }),
    pod('y/host', { tier: 'b' }, { ips: ['192.168.200.11'], node: 'node-1', hostNetwork: true }),
    pod('y/none', {}, { ips: [], phase: 'Pending' }),
  ],
  policies: [
    policy('x/all-types', {
      podSelector: sel({ app: 'a' }, In('tier', 'a', 'b'), NotIn('role', 'c'), Exists('app'), DoesNotExist('env')),
      policyTypes: ['Ingress', 'Egress'],
      ingress: [rule([], []), rule([podPeer(ALL), nsPeer(ALL), andPeer(sel({ team: 'a' }), ALL)], [pport({ port: 'http' }), pport({ protocol: 'SCTP' })])],
      egress: [],
    }),
    policy('x/defaulted', {
      egress: [rule([ipBlock('10.0.0.0/8', '10.244.1.0/24', '10.244.2.10/32'), ipBlock('::/0')], [pport({ protocol: 'UDP', port: 8000, endPort: 8100 }), pport({ port: 443 })])],
    }),
    // Defaulted in the model but not what the API default gives: written out explicitly.
    { ...policy('y/egress-only', { policyTypes: ['Egress'] }), policyTypesDefaulted: true },
  ],
  nodes: [node('node-1', ['192.168.200.11'], ['10.244.1.0/24', 'fd00:10:244:1::/64']), node('node-2', [], [])],
};

describe('model -> Kubernetes YAML', () => {
  it('loads back to the same model (edge cases)', () => {
    const loaded = loadYaml(kubernetesYaml(edgeCases));
    expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
    const expected = withoutSources(edgeCases);
    const { policies: gotPolicies, ...got } = withoutSources(loaded.objects);
    const { policies: wantPolicies, ...want } = expected;
    expect(got).toEqual(want);
    // The one policy whose defaulted flag cannot survive: its types are written explicitly.
    expect(gotPolicies).toEqual(wantPolicies.map((p) => (p.name === 'egress-only' ? { ...p, policyTypesDefaulted: false } : p)));
  });

  it('loads back to the same model (generated clusters)', () => {
    fc.assert(
      fc.property(diffCaseArb(), ({ objects }) => {
        const loaded = loadYaml(kubernetesYaml(objects));
        expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
        expect(withoutSources(loaded.objects)).toEqual(withoutSources(objects));
      }),
      { numRuns: RUNS, seed: 4242 },
    );
  });

  describe('through the manifest files source', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'nftpol-to-policytest-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('a written manifest file loads to the same model', async () => {
      const { objects } = fc.sample(diffCaseArb(), { numRuns: 1, seed: 7 })[0] as DiffCase;
      const file = path.join(dir, 'cluster.yaml');
      await writeFile(file, kubernetesYaml(objects));
      const loaded = await loadManifests([file]);
      expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(withoutSources(loaded.objects)).toEqual(withoutSources(objects));
    });

    it('PolicyTest files run with nftpol test and pass with the engine verdicts, v4 and v6 flows alike', async () => {
      const samples = fc.sample(diffCaseArb(), { numRuns: 25, seed: 99 });
      const files: string[] = [];
      let cases = 0;
      for (const [i, { objects, sampleSeed }] of samples.entries()) {
        const engine = new PolicyEngine(new ClusterState(objects));
        const flows = sampleFlows(candidateFlows(engine), sampleSeed, 12);
        if (flows.length === 0) continue;
        const file = path.join(dir, `case-${i}.yaml`);
        await writeFile(file, policyTestYaml({
          name: `case-${i}`,
          comment: ['written by to-policytest.test.ts'],
          objects,
          cases: flows.map((f) => ({ ...caseEndpoints(engine.state, f.flow), protocol: f.lab.protocol, port: f.lab.port, expect: f.allowed ? 'allow' : 'deny' })),
        }));
        files.push(file);
        cases += flows.length;
      }
      expect(cases).toBeGreaterThan(100);
      const collected = await collectPolicyTests(files, dir);
      expect(collected.problems).toEqual([]);
      const outcome = await runPolicyTests(collected, { verdicts: modelVerdicts, loader: new TestWorldLoader({ cwd: dir }) });
      if (!outcome.ok) expect.fail(JSON.stringify(outcome.problems, null, 1));
      expect(outcome.run.summary.failed).toBe(0);
      expect(outcome.run.summary.cases).toBe(cases);
    });
  });
});
