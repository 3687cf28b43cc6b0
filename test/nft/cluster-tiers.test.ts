// Cluster-wide policy in a node's table: the golden render of the sample
// (cluster-sample.ts) byte for byte, and the layout it must have: tier
// entries before the NetworkPolicy dispatch, each tier one chain jumping to
// its policies' chains by priority (nesting two deep whatever their number),
// an Admin Pass as a goto to what follows the tier, provenance on every rule,
// the input and output chains for a pod and its own node. UPDATE_GOLDEN=1 rewrites the
// golden (review the diff like code: test/nft/golden/README.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { NodeCompiler } from '../../src/compile/node-compiler.ts';
import { ClusterState } from '../../src/model/cluster-state.ts';
import { renderDeltaScript } from '../../src/nft/render-delta.ts';
import { PolicyEngine } from '../../src/policy/engine.ts';
import { block, compile } from '../compile/helpers.ts';
import { objects, sel } from '../generators/cluster-builders.ts';
import { cnp, networks, nsSubject, pass } from '../generators/cluster-policies.ts';
import { CLUSTER_SAMPLE, SAMPLE_NODE } from './cluster-sample.ts';

const GOLDEN = fileURLToPath(new URL('./cluster-golden/sample.n1.nft', import.meta.url));
const c = compile(CLUSTER_SAMPLE, SAMPLE_NODE);

describe('cluster-wide policy in the table', () => {
  it('renders the sample as its golden file', () => {
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, c.script);
    expect(existsSync(GOLDEN), 'run UPDATE_GOLDEN=1 npx vitest run test/nft/cluster-tiers.test.ts').toBe(true);
    expect(c.script).toBe(readFileSync(GOLDEN, 'utf8'));
  });

  it('enters the Admin tier before the NetworkPolicy dispatch and Baseline after it, per family', () => {
    const egress = block(c.body, 'chain', 'egress');
    const at = (prefix: string): number => egress.findIndex((l) => l.startsWith(prefix));
    expect(egress).toContain('ip saddr @admin-out-v4 jump admin-out');
    expect(egress).toContain('ip6 saddr @admin-out-v6 jump admin-out');
    expect(egress).toContain('ip saddr @baseline-out-v4 goto baseline-out');
    expect(at('ip saddr @admin-out-v4')).toBeLessThan(at('ip saddr @baseline-out-v4'));
    expect(at('ip saddr @baseline-out-v4')).toBeLessThan(at('ip saddr vmap @egress-v4'));
  });

  it('a tier chain jumps to its policies by priority for their subjects; Accept/Deny final, Admin Pass goes past the tier, no match returns', () => {
    expect(block(c.body, 'chain', 'admin-out')).toEqual([
      expect.stringMatching(/^ip saddr @subj\/efa4d60d30cb4435\/v4 jump cnp-out\/deny-metadata$/),
      expect.stringMatching(/^ip6 saddr @subj\/efa4d60d30cb4435\/v6 jump cnp-out\/deny-metadata$/),
      expect.stringMatching(/^ip saddr @subj\/\S+\/v4 jump anp-out\/monitoring$/),
      expect.stringMatching(/^ip6 saddr @subj\/\S+\/v6 jump anp-out\/monitoring$/),
    ]);
    expect(block(c.body, 'chain', 'cnp-out/deny-metadata')).toEqual([
      expect.stringMatching(/^ip daddr @cidr\/\S+ counter drop comment "cnp\/deny-metadata spec.egress\[0\] \(metadata\) to\[0\]"$/),
      expect.stringMatching(/^ip daddr @node\/\S+\/v4 meta l4proto tcp th dport 6443 counter goto admin-out-pass comment "cnp\/deny-metadata spec.egress\[1\] \(api-server\) to\[0\] protocols\[0\]"$/),
      expect.stringMatching(/^ip6 daddr @node\/\S+\/v6 meta l4proto tcp th dport 6443 counter goto admin-out-pass/),
    ]);
    // After an Admin Pass: the Baseline entry, NetworkPolicy on the forward hook only, then the base chains' accept.
    expect(block(c.body, 'chain', 'admin-out-pass')).toEqual([
      'ip saddr @baseline-out-v4 goto baseline-out',
      'ip6 saddr @baseline-out-v6 goto baseline-out',
      'meta oif != 0 ip saddr vmap @egress-v4',
      'meta oif != 0 ip6 saddr vmap @egress-v6',
      'meta oif != 0 ip saddr @pod-cidrs-v4 counter drop comment "egress unknown local pod"',
      'meta oif != 0 ip6 saddr @pod-cidrs-v6 counter drop comment "egress unknown local pod"',
      'accept comment "Admin passed: allowed"',
    ]);
    // Baseline ends in accept, so entered from admin-out-pass it never falls back into the Admin tier chain.
    expect(block(c.body, 'chain', 'baseline-out').at(-1)).toBe('accept comment "Baseline: nothing denied"');
    // No policy chain links to another: only tier chains jump to them.
    for (const chain of c.ir.clusterChains ?? []) expect(block(c.body, 'chain', chain.name).join('\n')).not.toMatch(/(goto|jump) (cnp|anp|banp)-/);
    const last = block(c.body, 'chain', 'anp-out/monitoring');
    expect(last.join('\n')).not.toMatch(/goto|return/);
    // v1alpha1 names its ports field "ports"; a named egress port carries the peer in its set; domainNames render nothing.
    expect(last).toContainEqual(expect.stringMatching(/^ip daddr \. meta l4proto \. th dport @port\/\S+ counter accept comment "anp\/monitoring spec.egress\[0\] to\[0\] ports\[0\]"$/));
    expect(last.join('\n')).not.toContain('spec.egress[1]');
  });

  it('keeps NetworkPolicy-isolated pods out of Baseline, and keeps the tiers of pods to and from their own node', () => {
    // shop/db is isolated for ingress by shop/db-from-api: Admin applies, Baseline does not.
    expect(block(c.body, 'set', 'admin-in-v4').join(' ')).toContain('10.244.1.11');
    expect(block(c.body, 'set', 'baseline-in-v4').join(' ')).not.toContain('10.244.1.11');
    expect(block(c.body, 'set', 'baseline-in-v4').join(' ')).toContain('10.244.1.10');
    expect(block(c.body, 'chain', 'egress-to-node')).toEqual([
      'type filter hook input priority filter - 10; policy accept;',
      'ct state established,related accept',
      // A revoked connection between a pod and its node stays cut when the other side sends first (conntrack-own-node.test.ts).
      'ip saddr @pod-cidrs-v4 tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop comment "egress tcp without syn"',
      'ip6 saddr @pod-cidrs-v6 tcp flags & (fin | syn | rst | ack) != syn ct state new counter drop comment "egress tcp without syn"',
      'icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert, nd-router-solicit, nd-router-advert, nd-redirect } accept',
      'ip saddr @admin-out-v4 jump admin-out',
      'ip6 saddr @admin-out-v6 jump admin-out',
      'ip saddr @baseline-out-v4 goto baseline-out',
      'ip6 saddr @baseline-out-v6 goto baseline-out',
    ]);
    expect(block(c.body, 'chain', 'ingress-from-node')[0]).toBe('type filter hook output priority filter - 5; policy accept;');
  });

  it('nodes peers hold the matching nodes\' addresses; networks are non-overlapping prefixes; a failing closed policy says so', () => {
    const nodeSet = c.ir.sets.find((s) => s.comment === 'nodes role=control-plane' && s.family === 4);
    expect(nodeSet?.elements).toEqual(['192.168.0.2']);
    const nets = c.ir.sets.find((s) => s.comment.startsWith('networks 10.0.0.0/8'));
    expect(nets?.elements).toEqual(['10.0.0.0/8']);
    expect(block(c.body, 'chain', 'cnp-in/broken')).toContainEqual(expect.stringMatching(/^ip saddr @cidr\/\S+\/v4 counter drop comment "cnp\/broken spec.ingress\[0\] from\[0\]"$/));
  });

  it('a table without cluster policies has no tier sets or node chains', () => {
    const plain = compile({ ...CLUSTER_SAMPLE, clusterPolicies: [] }, SAMPLE_NODE);
    expect(plain.body).not.toMatch(/admin-|baseline-|egress-to-node|ingress-from-node|subj\//);
  });
});

describe('cluster-wide policy deltas', () => {
  it('a policy added at the front of the Admin tier: its chain and subject set appear, the tier chain is rewritten, nothing else is', () => {
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(objects(CLUSTER_SAMPLE))), SAMPLE_NODE);
    const before = compiler.ir();
    const first = cnp('first', { priority: 1, subject: nsSubject(sel({ team: 'shop' })), egress: [pass([networks('10.0.0.0/8')], [], 'delegate')] });
    compiler.apply({ kind: 'clusterPolicy', key: 'cnp/first', clusterPolicy: first });
    const delta = renderDeltaScript(before, compiler.ir());
    // The new chain, declared empty first, then filled; the tier chain now jumps to it first.
    expect(delta).toContain('\tchain cnp-out/first {\n\t}');
    expect(delta).toContain('counter goto admin-out-pass comment "cnp/first spec.egress[0] (delegate) to[0]"');
    expect(delta).toMatch(/flush chain inet nftpol admin-out\n/);
    expect(delta).toMatch(/\tchain admin-out {\n\t\tip saddr @subj\/\S+\/v4 jump cnp-out\/first\n/);
    // The base chains are untouched: their entries jump to the tier chain, whatever it holds.
    expect(delta).not.toMatch(/flush chain inet nftpol (egress|egress-to-node|ingress|ingress-from-node)\n/);
    // The policies already there keep their chains: nothing flushes or deletes them.
    for (const name of ['cnp-out/deny-metadata', 'anp-out/monitoring', 'banp-out/default', 'anp-in/monitoring']) {
      expect(delta).not.toContain(`chain inet nftpol ${name}\n`);
      expect(delta).not.toContain(`\tchain ${name} {`);
    }
  });

  it('a policy removed from a tier: the tier chain is rewritten before the policy chain goes, no other policy chain is touched', () => {
    const compiler = new NodeCompiler(new PolicyEngine(new ClusterState(objects(CLUSTER_SAMPLE))), SAMPLE_NODE);
    const before = compiler.ir();
    compiler.apply({ kind: 'clusterPolicy', key: 'anp/monitoring' });
    const delta = renderDeltaScript(before, compiler.ir());
    const lines = delta.split('\n');
    const at = (l: string): number => lines.indexOf(l);
    expect(at('flush chain inet nftpol admin-out')).toBeGreaterThanOrEqual(0);
    expect(at('flush chain inet nftpol admin-out')).toBeLessThan(at('delete chain inet nftpol anp-out/monitoring'));
    expect(delta).not.toContain('jump anp-out/monitoring');
    expect(delta).not.toContain('flush chain inet nftpol cnp-out/deny-metadata');
    expect(compiler.ir().tiers?.egress.admin).toEqual(['cnp-out/deny-metadata']);
  });
});
