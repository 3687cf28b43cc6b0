// Per-pod drop counters, read from the kernel's JSON listing of our table
// (`nft -j list table inet NAME`). Each isolated local pod has a chain per
// direction, `pod-in/NS/POD` or `pod-out/NS/POD`, that ends in
// `counter drop comment "ingress denied NS/POD"` (src/nft/render-chains.ts):
// its counter is the packets the pod's policies denied. The pod is read from
// the chain's name, which (unlike the comment, cut at 127 bytes) holds the
// whole namespace/name up to 200 characters; a longer one is shortened with
// a hash (src/compile/names.ts) and cannot be read back, so such a chain is
// counted as unnamed instead of guessed.
//
// The listing comes from the kernel, but it is parsed as untrusted text: a
// shape we do not expect is skipped, never trusted.
import { unescapeName } from '../nft/syntax.ts';

export type DropDirection = 'ingress' | 'egress';

export interface PodDropCounter {
  readonly namespace: string;
  readonly pod: string;
  readonly direction: DropDirection;
  readonly packets: number;
  readonly bytes: number;
}

export interface DropCounterReading {
  /** One per pod and direction, in the order of the listing. */
  readonly counters: readonly PodDropCounter[];
  /** Pod chains whose pod cannot be read from the (shortened) chain name. */
  readonly unnamed: number;
}

/** names.ts caps chain names at this length (a longer text is cut and hashed); nftName at 255 bytes. */
const CAPPED_NAME = 200;
const NFT_NAME_MAX = 255;
const POD_CHAIN = /^pod-(in|out)\/([^/]+)\/([^/]+)$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** The counter of a rule's expressions that end in `counter <verdict>` (after any matches); undefined for any other rule. */
export function finalCounter(expr: unknown, verdict: 'drop'): { packets: number; bytes: number } | undefined {
  if (!Array.isArray(expr) || expr.length < 2) return undefined;
  const [counter, last] = expr.slice(-2) as [unknown, unknown];
  if (!isRecord(counter) || !isRecord(last) || !(verdict in last)) return undefined;
  const c = counter.counter;
  if (!isRecord(c) || !isCount(c.packets) || !isCount(c.bytes)) return undefined;
  return { packets: c.packets, bytes: c.bytes };
}

/** The counter of a rule that is exactly `counter drop`; undefined for any other rule. */
function dropCounter(expr: unknown): { packets: number; bytes: number } | undefined {
  return Array.isArray(expr) && expr.length === 2 ? finalCounter(expr, 'drop') : undefined;
}

/** The pod and direction of a pod chain's name; 'unnamed' when it was shortened; undefined for other chains. */
function podOfChain(raw: string): { namespace: string; pod: string; direction: DropDirection } | 'unnamed' | undefined {
  if (!raw.startsWith('pod-in/') && !raw.startsWith('pod-out/')) return undefined;
  const text = unescapeName(raw);
  if (raw.length >= NFT_NAME_MAX || text.length >= CAPPED_NAME) return 'unnamed';
  const m = POD_CHAIN.exec(text);
  if (m === null) return 'unnamed';
  return { direction: m[1] === 'in' ? 'ingress' : 'egress', namespace: m[2] as string, pod: m[3] as string };
}

/** A rule of our table in a listing: its chain's name as the kernel has it, the rest unread. */
export interface ListedRule {
  readonly chain: string;
  readonly comment?: unknown;
  readonly expr?: unknown;
}

/**
 * The rules of table `inet <table>` in a JSON listing, in the listing's order
 * (a chain's rules in their order). Throws when the text is not nft's JSON
 * (an object with an "nftables" array). Parsed once per reading, for the
 * pods' counters and the cluster rules' alike.
 */
export function listedRules(listing: string, table: string): ListedRule[] {
  const doc: unknown = JSON.parse(listing);
  if (!isRecord(doc) || !Array.isArray(doc.nftables)) throw new Error('not an nft JSON listing (no "nftables" array)');
  const rules: ListedRule[] = [];
  for (const item of doc.nftables as unknown[]) {
    if (!isRecord(item) || !isRecord(item.rule)) continue;
    const rule = item.rule;
    if (rule.family !== 'inet' || rule.table !== table || typeof rule.chain !== 'string') continue;
    rules.push({ chain: rule.chain, comment: rule.comment, expr: rule.expr });
  }
  return rules;
}

/**
 * The drop counters of the pod chains of table `inet <table>` in a listing
 * (its text, or its rules already read). Throws when the text is not nft's JSON.
 * A chain with several `counter drop` rules (someone added one) reports their sum.
 */
export function podDropCounters(listing: string | readonly ListedRule[], table: string): DropCounterReading {
  const byChain = new Map<string, PodDropCounter>();
  const unnamed = new Set<string>();
  for (const rule of typeof listing === 'string' ? listedRules(listing, table) : listing) {
    const counted = dropCounter(rule.expr);
    if (counted === undefined) continue;
    const pod = podOfChain(rule.chain);
    if (pod === undefined) continue;
    if (pod === 'unnamed') {
      unnamed.add(rule.chain);
      continue;
    }
    const seen = byChain.get(rule.chain);
    byChain.set(rule.chain, {
      ...pod,
      packets: (seen?.packets ?? 0) + counted.packets,
      bytes: (seen?.bytes ?? 0) + counted.bytes,
    });
  }
  return { counters: [...byChain.values()], unnamed: unnamed.size };
}
