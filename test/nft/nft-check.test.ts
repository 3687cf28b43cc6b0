// The rendered script against the real nft: for random clusters and
// policies, compileNode never throws and `nft -c -f -` accepts what the
// renderer writes; plus the edge cases random clusters rarely reach (long
// names, shared addresses). Each script is checked in a throwaway network
// namespace (root only: CI must run this; elsewhere it is skipped with the
// reason). One nft call per script, so numRuns stays small (FC_NFT_RUNS).
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { compileNode } from '../../src/compile/compile-node.ts';
import { placePods } from '../../src/sources/placement.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import type { ClusterObjects, Node } from '../../src/model/types.ts';
import { renderReplaceScript } from '../../src/nft/render-table.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { clusterArb } from '../generators/arbitraries.ts';
import { cport, denyAll, ipBlock, node, pod, podPeer, policy, rule, sel, tcp, udp } from '../generators/cluster-builders.ts';
import { describeNft, useThrowawayNetns } from '../support/root.ts';
import { compile, NODE } from '../compile/helpers.ts';
import { cnp, deny, namedPort, networks, nsPeerOf, nsSubject, pass, withClusterPolicies } from '../generators/cluster-policies.ts';
import { CLUSTER_SAMPLE, SAMPLE_NODE } from './cluster-sample.ts';

const RUNS = Number(process.env.FC_NFT_RUNS ?? 40);

/** Pod CIDRs for a node: none, IPv4, IPv6, or both (the fail-closed sets). */
function withPodCidrs(objects: ClusterObjects): fc.Arbitrary<ClusterObjects> {
  const choice = fc.constantFrom('none', 'v4', 'v6', 'dual');
  return fc.array(choice, { minLength: objects.nodes.length, maxLength: objects.nodes.length }).map((cs) => ({
    ...objects,
    nodes: objects.nodes.map((n, i): Node => {
      const c = cs[i];
      const v4 = c === 'v4' || c === 'dual' ? [`10.244.${i}.0/24`] : [];
      const v6 = c === 'v6' || c === 'dual' ? [`fd00:${i}::/64`] : [];
      return { ...n, podCIDRs: [...v4, ...v6] };
    }),
  }));
}

await describeNft('rendered scripts pass nft -c', () => {
  const netns = useThrowawayNetns();

  async function check(script: string): Promise<void> {
    try {
      await netns().nft.check(script);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- script ---\n${script}`, { cause: err });
    }
  }

  it(`random clusters and policies: compileNode never throws, nft -c accepts every node's script (${RUNS} runs)`, async () => {
    const arb = clusterArb({ maxPods: 8, maxPolicies: 5 })
      .chain(withPodCidrs)
      .map((o) => placePods(o, o.nodes.map((n) => n.name)));
    await fc.assert(fc.asyncProperty(arb, async (objects) => {
      const engine = new PolicyEngine(new ClusterState(objects));
      for (const n of objects.nodes) await check(renderReplaceScript(compileNode(engine, n.name)));
    }), { numRuns: RUNS });
  }, 20_000 + RUNS * 500);

  it(`random clusters with cluster-wide policies: nft -c accepts every node's script (${RUNS} runs)`, async () => {
    const arb = clusterArb({ maxPods: 8, maxPolicies: 3 })
      .chain(withPodCidrs)
      .chain((o) => withClusterPolicies(o, 4))
      .map((o) => placePods(o, o.nodes.map((n) => n.name)));
    await fc.assert(fc.asyncProperty(arb, async (objects) => {
      const engine = new PolicyEngine(new ClusterState(objects));
      for (const n of objects.nodes) await check(renderReplaceScript(compileNode(engine, n.name)));
    }), { numRuns: RUNS });
  }, 20_000 + RUNS * 500);

  it('cluster-wide policy: the sample of every tier, action, peer kind and port, dual-stack', async () => {
    await check(compile(CLUSTER_SAMPLE, SAMPLE_NODE).script);
  });

  it('cluster-wide policy with hostile policy and rule names: one token, one quoted comment', async () => {
    const evil = 'evil" } ; flush ruleset ; #\nx';
    const { script } = compile({
      pods: [pod('x/a', { app: 'a' }, { node: NODE, ips: ['10.244.1.2'], ports: [cport('http', 80)] })],
      clusterPolicies: [cnp(evil, { priority: 1, subject: nsSubject(sel()), ingress: [deny([nsPeerOf(sel())], [namedPort('http')], evil)], egress: [pass([networks('10.0.0.0/8')], [], evil)] })],
      nodes: [node(NODE, ['192.168.0.1'], ['10.244.1.0/24'])],
    });
    expect(script).toContain('comment "cnp/evil\\q } ; flush ruleset ; #\\nx spec.egress[0] (evil\\q } ; flush ruleset ; #\\nx) to[0]"');
    await check(script);
  });

  it('a table under another name', async () => {
    const { ir } = compile({ pods: [pod('x/a', {}, { node: NODE })], policies: [denyAll('x/d')] });
    await check(renderReplaceScript(ir, { family: 'inet', name: 'nftpol_test.2' }));
  });

  it('every kind of rule at once, dual-stack, with pod CIDRs', async () => {
    const { script } = compile({
      pods: [
        pod('x/a', { app: 'a' }, { node: NODE, ips: ['10.244.1.2', 'fd00:1::2'], ports: [cport('http', 80), cport('dns', 53, 'UDP')] }),
        pod('x/b', { app: 'b' }, { node: 'n2', ips: ['10.244.2.2', 'fd00:2::2'], ports: [cport('http', 8080)] }),
      ],
      policies: [policy('x/p', {
        ingress: [rule([podPeer(sel({ app: 'b' })), ipBlock('0.0.0.0/0', '10.0.0.0/8'), ipBlock('::/0', 'fd00::/16')], [tcp('http'), udp('dns'), tcp(80, 90), udp(), tcp(443)]), rule()],
        egress: [rule([podPeer(sel())], [tcp('http')]), rule([], [udp(53)])],
      })],
      nodes: [node(NODE, ['192.168.0.1'], ['10.244.1.0/24', 'fd00:1::/64'])],
    });
    await check(script);
  });

  // names.ts shortens long names with "-" and a hash; nftName (syntax.ts) keeps
  // every name one token of at most 255 bytes.
  it('long Kubernetes names (63-byte namespace, 253-byte pod and policy names)', async () => {
    const longNs = 'n'.repeat(63);
    const { script } = compile({
      pods: [pod(`${longNs}/${'a'.repeat(253)}`, {}, { node: NODE, ips: ['10.244.1.2', 'fd00::2'], ports: [cport('http', 80)] })],
      policies: [policy(`${longNs}/${'p'.repeat(253)}`, {
        ingress: [rule([podPeer(sel()), ipBlock('10.0.0.0/8', '10.1.0.0/16')], [tcp('http'), tcp(80, 90)])],
        egress: [rule([podPeer(sel())], [tcp('http')])],
      })],
    });
    await check(script);
  });

  it('nft takes names up to 255 bytes, so the cap is not what limits', async () => {
    const name = `peer-in/${'a'.repeat(247)}`;
    expect(Buffer.byteLength(name)).toBe(255);
    await check(`table inet nftpol_names {\n\tset ${name} {\n\t\ttype ipv4_addr\n\t}\n\tchain c {\n\t\tip saddr @${name} accept\n\t}\n}\n`);
  });

  // Two local pods claiming one address (the sources warn): only the holder
  // (ClusterState.podAt) is dispatched, so the map has the key once.
  it('two local pods with the same address, one isolated and one open', async () => {
    const { script } = compile({
      pods: [pod('x/a', { app: 'a' }, { node: NODE, ips: ['10.244.1.2'] }), pod('x/b', {}, { node: NODE, ips: ['10.244.1.2'] })],
      policies: [denyAll('x/deny-a', ['Ingress'], sel({ app: 'a' }))],
    });
    await check(script);
  });

  it('hostile namespace, pod, policy and node names, and a policy with errors (failing closed: a chain without rules)', async () => {
    const evil = 'evil" } ; flush ruleset ; #\nx';
    const broken = { ...denyAll(`${evil}/broken`, ['Ingress', 'Egress']), failClosed: true as const };
    const { script } = compile({
      pods: [pod(`${evil}/a`, { app: 'a' }, { node: evil, ips: ['10.244.1.2'] }), pod(`${evil}/b`, {}, { node: evil, ips: ['10.244.1.3'] })],
      policies: [broken, policy(`${evil}/${evil}`, { ingress: [rule([podPeer(sel({ app: 'a' }))], [tcp(80)])] })],
      nodes: [node(evil, ['192.168.0.1'], ['10.244.1.0/24'])],
    }, evil);
    expect(script).toContain('comment "evil\\q } ; flush ruleset ; #\\nx/broken has errors: failing closed, allows nothing"');
    await check(script);
  });
});
