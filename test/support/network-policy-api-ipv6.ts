// The network-policy-api conformance suite's IPv6 lane: its PolicyTests with every IPv4
// literal of their policies turned into the IPv6 counterpart the world gives it, so the
// same probes can be decided over IPv6 (`runPolicyTests(..., { family: 6 })`).
//
// Why: upstream writes no address into its manifests but the catch-alls (both
// `0.0.0.0/0` and `::/0`); the inline-CIDR tests compute the inserted rule's networks
// from the probed server pods' status.podIP at run time, `/32` for an IPv4 address and
// `/128` for an IPv6 one. The files here were written from a run where status.podIP is
// IPv4, so they hold the pods' `/32`s; an IPv6 run of upstream puts the same pods' IPv6
// addresses as `/128`s there instead. This transform makes exactly that substitution,
// through the world's own address map (world.yaml), and nothing else:
//  - `A/32` (or a bare `A`) where A is a pod's or a node's IPv4 address: that pod's or
//    node's IPv6 address, `/128` (bare stays bare); a host-network pod has its node's;
//  - a node's IPv4 pod CIDR: the node's IPv6 pod CIDR;
//  - `0.0.0.0/0`: `::/0`;
//  - an IPv4 literal in a list that already holds its counterpart is left as written
//    (upstream's own `[0.0.0.0/0, ::/0]` applies unchanged on an IPv6 cluster);
//  - any other IPv4 literal has no counterpart: an Error naming it (the lane must not
//    run a policy it could not translate).
// It walks every string of the test's `objects` and of each step's `apply` (ipBlock
// cidr/except of NetworkPolicies too, should a test hold one); world.yaml, the cases and
// every name stay as they are: a case's ends are translated by the runner's family.
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { cidrOf, parseCidr, parseIp } from '../../src/model/addresses.ts';
import type { PolicyTest } from '../../src/policytest/policy-test.ts';

/** IPv4 text (address or canonical CIDR) to its IPv6 counterpart in the world. */
export type AddressMap = ReadonlyMap<string, string>;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function familyOfText(s: string): 4 | 6 | undefined {
  const p = s.includes('/') ? parseCidr(s) : parseIp(s);
  return p.ok ? p.family : undefined;
}

/** Pairs each IPv4 address of a pod or node (and each node's IPv4 pod CIDR) with its IPv6 one. */
export function addressMapOf(objects: readonly unknown[]): AddressMap {
  const map = new Map<string, string>();
  const pair = (what: string, values: readonly string[]): void => {
    const v4 = values.filter((v) => familyOfText(v) === 4);
    const v6 = values.filter((v) => familyOfText(v) === 6);
    if (v4.length === 0) return;
    if (v4.length !== 1 || v6.length !== 1) throw new Error(`${what}: want one IPv4 and one IPv6 value, have ${values.join(', ')}`);
    const [a, b] = [v4[0] as string, v6[0] as string];
    const known = map.get(a);
    if (known !== undefined && known !== b) throw new Error(`${what}: ${a} is paired with ${known} elsewhere, here with ${b}`);
    map.set(a, b);
  };
  for (const o of objects) {
    if (!isRecord(o) || !isRecord(o.metadata)) continue;
    const name = `${String(o.kind)} ${String(o.metadata.name)}`;
    const spec = isRecord(o.spec) ? o.spec : {};
    const status = isRecord(o.status) ? o.status : {};
    if (o.kind === 'Pod') pair(name, list(status.podIPs).map((p) => (isRecord(p) ? text(p.ip) : undefined)).filter((s): s is string => s !== undefined));
    if (o.kind === 'Node') {
      pair(`${name} InternalIP`, list(status.addresses).filter((a) => isRecord(a) && a.type === 'InternalIP').map((a) => text((a as Json).address) ?? ''));
      pair(`${name} podCIDRs`, list(spec.podCIDRs).map((c) => text(c) ?? ''));
    }
  }
  return map;
}

export async function readAddressMap(worldFile: string): Promise<AddressMap> {
  const docs = parseAllDocuments(await readFile(worldFile, 'utf8'));
  return addressMapOf((Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as unknown));
}

/** The IPv6 counterpart of one IPv4 literal (address or CIDR), or an Error. */
export function ipv6Counterpart(literal: string, map: AddressMap): string {
  if (!literal.includes('/')) {
    const ip = parseIp(literal);
    const v6 = ip.ok ? map.get(ip.ip) : undefined;
    if (v6 === undefined) throw new Error(`IPv4 address ${literal} is no pod's or node's address in the world: no IPv6 counterpart`);
    return v6;
  }
  const cidr = cidrOf(literal).cidr;
  if (cidr === '0.0.0.0/0') return '::/0';
  const subnet = map.get(cidr);
  if (subnet !== undefined) return subnet;
  const [network, prefix] = cidr.split('/') as [string, string];
  const host = prefix === '32' ? map.get(network) : undefined;
  if (host !== undefined) return `${host}/128`;
  throw new Error(`IPv4 CIDR ${literal} is no pod's or node's address nor a node's pod CIDR: no IPv6 counterpart`);
}

function translate(value: unknown, map: AddressMap): unknown {
  if (typeof value === 'string') return familyOfText(value) === 4 ? ipv6Counterpart(value, map) : value;
  if (Array.isArray(value)) {
    const present = new Set(value.filter((v): v is string => typeof v === 'string'));
    return value.map((v) => (typeof v === 'string' && familyOfText(v) === 4 && present.has(ipv6Counterpart(v, map)) ? v : translate(v, map)));
  }
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, translate(v, map)]));
  return value;
}

/** The test as its IPv6 lane runs it: same file, cases and steps, its objects and step objects translated. */
export function toIPv6Lane(test: PolicyTest, map: AddressMap): PolicyTest {
  return {
    ...test,
    objects: test.objects.map((o) => translate(o, map)),
    steps: test.steps.map((s) => ({ ...s, apply: s.apply.map((o) => translate(o, map)) })),
  };
}

/** Every collected test in its IPv6 lane form (files and problems as collected). */
export function collectedForIPv6<T extends { readonly tests: readonly PolicyTest[] }>(collected: T, map: AddressMap): T {
  return { ...collected, tests: collected.tests.map((t) => toIPv6Lane(t, map)) };
}
