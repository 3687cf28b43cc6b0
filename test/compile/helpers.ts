// Shared by the compiler and renderer tests: compile a small cluster for one
// node, and read pieces of the rendered script back.
import type { AddressPort, NamedSet, NodeIR, PolicyChain } from '../../src/compile/ir.ts';
import { compileNode } from '../../src/compile/compile-node.ts';
import { peerSetName } from '../../src/compile/policy-chain.ts';
import type { IPFamily } from '../../src/model/addresses.ts';
import type { Direction } from '../../src/model/types.ts';
import { policyKey } from '../../src/model/types.ts';
import { renderReplaceScript, renderTableBody } from '../../src/nft/render-table.ts';
import { World, type ClusterSpec } from '../generators/cluster-builders.ts';

export const NODE = 'n1';

export interface Compiled {
  readonly world: World;
  readonly ir: NodeIR;
  /** The table body (renderTableBody). */
  readonly body: string;
  /** The whole replace script (renderReplaceScript). */
  readonly script: string;
}

export function compile(spec: ClusterSpec, node: string = NODE): Compiled {
  const world = new World(spec);
  const ir = compileNode(world.engine, node);
  return { world, ir, body: renderTableBody(ir), script: renderReplaceScript(ir) };
}

/** The lines inside `chain NAME { ... }` (or set/map), without their indentation. */
export function block(text: string, kind: 'chain' | 'set' | 'map', name: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`\t${kind} ${name} {`);
  if (start < 0) throw new Error(`no ${kind} ${name} in:\n${text}`);
  const end = lines.indexOf('\t}', start);
  return lines.slice(start + 1, end).map((l) => l.trim());
}

/** Whether the text declares `kind name`. */
export function declares(text: string, kind: 'chain' | 'set' | 'map', name: string): boolean {
  return text.split('\n').includes(`\t${kind} ${name} {`);
}

export function chainOf(ir: NodeIR, name: string): PolicyChain {
  const c = ir.policyChains.find((x) => x.name === name);
  if (!c) throw new Error(`no policy chain ${name}; have ${ir.policyChains.map((x) => x.name).join(', ')}`);
  return c;
}

export function setOf(ir: NodeIR, name: string): NamedSet {
  const s = ir.sets.find((x) => x.name === name);
  if (!s) throw new Error(`no set ${name}; have ${ir.sets.map((x) => x.name).join(', ')}`);
  return s;
}

export function addresses(set: NamedSet): string[] {
  if (set.type === 'address-port') throw new Error(`${set.name} holds address-port triples`);
  return [...(set.elements as readonly string[])];
}

/** "address . proto . port" strings of an address-port set, as nft writes them. */
export function triples(set: NamedSet): string[] {
  if (set.type !== 'address-port') throw new Error(`${set.name} is not an address-port set`);
  return (set.elements as readonly AddressPort[]).map((e) => `${e.address} . ${e.protocol.toLowerCase()} . ${e.port}`);
}

/** Elements of a dispatch map, "address : verdict", from the rendered text. */
export function mapElements(text: string, name: string): string[] {
  const inside = block(text, 'map', name).join(' ');
  const m = /elements = \{ (.*) \}/.exec(inside);
  return m ? (m[1] as string).split(/,\s*/) : [];
}

/** Every kernel object name in a script: declared chains, sets, maps, and references to them. */
export function objectNames(text: string): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/^\t(?:chain|set|map) (\S+) \{$/gm)) names.add(m[1] as string);
  for (const m of text.matchAll(/(?:@|jump )([^\s,}]+)/g)) names.add(m[1] as string);
  return [...names];
}

/** Lines that are rules (not declarations, not braces), trimmed. */
export function ruleLines(lines: readonly string[]): string[] {
  return lines.filter((l) => l !== '' && !l.startsWith('type ') && !l.startsWith('flags ') && !l.startsWith('elements'));
}

/** The name of the set of a policy rule's peer, as the compiler names it (by what the peer selects). */
export function peerSetOf(c: Compiled, policy: string, direction: Direction, rule: number, peer: number, family: IPFamily): string {
  const pol = c.world.state.policies.find((p) => policyKey(p) === policy);
  const pr = pol?.[direction][rule]?.peers[peer];
  if (!pol || !pr) throw new Error(`no ${direction}[${rule}] peer ${peer} in policy ${policy}`);
  return peerSetName(pol, pr, family);
}

/**
 * The compiler names sets by what they select (a hash), so equal selections
 * share a set. These tests name a set by the first rule that uses it:
 * "peer-in/x/p/0/1/v4" is the set of x/p's ingress rule 0, peer 1, IPv4;
 * "port-out/x/p/0/1/2/v4" the named-port set of egress rule 0, peer 1, port 2
 * ("any" for the peer of an ingress or peerless rule). positional() rewrites
 * the IR and the rendered text to those names; sets no rule uses keep theirs.
 */
export function positional(c: Compiled): Compiled {
  const names = new Map<string, string>();
  for (const chain of c.ir.policyChains) {
    const dir = chain.direction === 'ingress' ? 'in' : 'out';
    for (const r of chain.rules) {
      const m = /^(\S+) (?:ingress|egress)\[(\d+)\](?: (?:from|to)\[(\d+)\])?(?: ports\[(\d+)\])?$/.exec(r.comment);
      if (!m) throw new Error(`unexpected rule comment ${r.comment}`);
      const [, policy, rule, peer, port] = m;
      if (r.peer.kind === 'set' && !names.has(r.peer.set)) names.set(r.peer.set, `peer-${dir}/${policy}/${rule}/${peer}/v${r.peer.family}`);
      if (r.port.kind === 'named' && !names.has(r.port.set)) {
        const owner = chain.direction === 'egress' && peer !== undefined ? peer : 'any';
        names.set(r.port.set, `port-${dir}/${policy}/${rule}/${owner}/${port}/v${r.port.family}`);
      }
    }
  }
  const rename = (n: string): string => names.get(n) ?? n;
  const ir: NodeIR = {
    ...c.ir,
    sets: c.ir.sets.map((s) => ({ ...s, name: rename(s.name) })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    policyChains: c.ir.policyChains.map((ch) => ({
      ...ch,
      rules: ch.rules.map((r) => ({
        ...r,
        peer: r.peer.kind === 'set' ? { ...r.peer, set: rename(r.peer.set) } : r.peer,
        port: r.port.kind === 'named' ? { ...r.port, set: rename(r.port.set) } : r.port,
      })),
    })),
  };
  const text = (t: string): string => t.replace(/\b(?:pods|cidr|port)\/[0-9a-f]{16}\/v[46]\b/g, rename);
  return { world: c.world, ir, body: text(c.body), script: text(c.script) };
}
