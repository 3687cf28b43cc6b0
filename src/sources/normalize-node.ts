// Nodes: the addresses pods may see traffic from (InternalIP, then
// ExternalIP, in that order so the first address is the cluster-internal one)
// and the pod CIDRs allocated to the node (spec.podCIDRs, else spec.podCIDR).
// Node data only informs addressing, so bad entries are warnings and skipped.
// Labels (what a cluster-wide policy's `nodes` peer selects on) are checked
// as every object's are: a bad one is an error, as the API server refuses it.
import { childField, indexField } from './field-path.ts';
import { parseCidr, parseIp } from '../model/addresses.ts';
import type { ProblemList } from '../model/problems.ts';
import { isRecord, optArray, optRecord } from './raw.ts';
import { readLabels } from './normalize-labels.ts';
import type { Node, SourceRef } from '../model/types.ts';

const ADDRESS_TYPES = ['InternalIP', 'ExternalIP'] as const;

export function normalizeNode(raw: unknown, name: string, source: SourceRef, p: ProblemList): Node {
  const rec = isRecord(raw) ? raw : {};
  const metadata = optRecord(rec.metadata, 'metadata', p) ?? {};
  const labels = readLabels(metadata.labels, 'metadata.labels', p);
  const spec = optRecord(rec.spec, 'spec', p) ?? {};
  const status = optRecord(rec.status, 'status', p) ?? {};
  const addresses: string[] = [];
  const entries = optArray(status.addresses, 'status.addresses', p) ?? [];
  for (const type of ADDRESS_TYPES) {
    entries.forEach((e, i) => {
      if (!isRecord(e) || e.type !== type) return;
      const field = childField(indexField('status.addresses', i), 'address');
      const parsed = typeof e.address === 'string' ? parseIp(e.address) : undefined;
      if (!parsed?.ok) return p.warn(field, parsed ? `${parsed.message}; skipped` : 'address must be a string; skipped');
      for (const w of parsed.warnings) p.warn(field, w);
      if (!addresses.includes(parsed.ip)) addresses.push(parsed.ip);
    });
  }
  const cidrList = optArray(spec.podCIDRs, 'spec.podCIDRs', p);
  const cidrEntries = cidrList && cidrList.length > 0
    ? cidrList.map((v, i) => ({ v, field: indexField('spec.podCIDRs', i) }))
    : spec.podCIDR != null ? [{ v: spec.podCIDR, field: 'spec.podCIDR' }] : [];
  const podCIDRs: string[] = [];
  for (const { v, field } of cidrEntries) {
    const parsed = typeof v === 'string' ? parseCidr(v) : undefined;
    if (!parsed?.ok) {
      p.warn(field, parsed ? `${parsed.message}; skipped` : 'must be a CIDR string; skipped');
      continue;
    }
    for (const w of parsed.warnings) p.warn(field, w);
    if (!podCIDRs.includes(parsed.cidr)) podCIDRs.push(parsed.cidr);
  }
  return { name, ...(Object.keys(labels).length > 0 && { labels }), addresses, podCIDRs, source };
}
