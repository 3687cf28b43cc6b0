// The subject and the peers of a cluster-wide policy, as the CRDs validate
// them. Each is a union: exactly one field set (MinProperties = MaxProperties
// = 1). An empty one means the object came from a newer API version with a
// field this one does not know; upstream says to fail closed on it, which the
// rule's errors do.
//  - namespaces: a label selector ({} selects every namespace);
//  - pods: namespaceSelector and podSelector, both selectors; podSelector is
//    required; namespaceSelector is optional in v1alpha2 (absent: every
//    namespace) and required in v1alpha1;
//  - nodes (egress): a label selector on node labels;
//  - networks (egress): 1-25 CIDRs, each at most 43 characters and one the
//    CEL isCIDR accepts, no repeats (a set). isCIDR (Go's netip.ParsePrefix)
//    accepts bits set beyond the prefix ("10.0.0.1/8"): the network
//    ("10.0.0.0/8") is kept, with a warning; it refuses leading zeros
//    ("010.0.0.0/8", "/08"), which the address module would only warn about.
//    IPv4-mapped IPv6 ("::ffff:10.0.0.0/104"), which isCIDR accepts, is
//    refused as everywhere in nftpol (the address module: the kernel and the
//    API disagree on its family), naming the IPv4 address to write;
//  - domainNames (egress, experimental): 1-25 names matching the CRD's
//    pattern, no repeats. Kept as written; never enforced (the engine says so).
import { childField, indexField } from './field-path.ts';
import { parseCidr } from '../model/addresses.ts';
import type { ProblemList } from '../model/problems.ts';
import { boundedList, describe, firstDuplicate, optRecord, quote, type RawRecord } from './raw.ts';
import { normalizeSelector } from './normalize-selector.ts';
import type { ClusterDialect } from './cluster-dialect.ts';
import type { ClusterPeer, ClusterPodSelection, LabelSelector } from '../model/types.ts';

const EVERYTHING: LabelSelector = { matchLabels: {}, matchExpressions: [] };

/** The one field of a union that is set (null counts as absent), or undefined with an error. */
export function exactlyOne(rec: RawRecord, keys: readonly string[], field: string, what: string, p: ProblemList): string | undefined {
  const set = keys.filter((k) => rec[k] !== undefined && rec[k] !== null);
  if (set.length === 1) return set[0];
  const want = `set exactly one of ${keys.join(', ')}`;
  if (set.length === 0) p.error(field, `${what} has nothing: ${want}`);
  else p.error(field, `${what} sets ${set.join(' and ')}: ${want}`);
  return undefined;
}

/** A selector that must be present; undefined (with an error) when it is missing or invalid. */
function requiredSelector(value: unknown, field: string, what: string, p: ProblemList): LabelSelector | undefined {
  if (value === undefined || value === null) {
    p.error(field, `${what} is required (an empty selector {} selects everything)`);
    return undefined;
  }
  const before = p.errorCount;
  const selector = normalizeSelector(value, field, p);
  return p.errorCount > before ? undefined : (selector ?? EVERYTHING);
}

/** `namespaces` or `pods` of a subject or a peer; `key` is the one that is set. */
export function readPodSelection(rec: RawRecord, key: 'namespaces' | 'pods', field: string, d: ClusterDialect, p: ProblemList): ClusterPodSelection | undefined {
  const at = childField(field, key);
  if (key === 'namespaces') {
    const namespaceSelector = requiredSelector(rec.namespaces, at, 'namespaces', p);
    return namespaceSelector && { kind: 'namespaces', namespaceSelector };
  }
  const pods = optRecord(rec.pods, at, p);
  if (pods === undefined) return undefined;
  const podSelector = requiredSelector(pods.podSelector, childField(at, 'podSelector'), 'podSelector', p);
  const nsField = childField(at, 'namespaceSelector');
  const namespaceSelector = pods.namespaceSelector == null && !d.podsNeedNamespaceSelector
    ? EVERYTHING
    : requiredSelector(pods.namespaceSelector, nsField, 'namespaceSelector', p);
  return podSelector && namespaceSelector && { kind: 'pods', namespaceSelector, podSelector };
}

/** One entry of a rule's from (ingress) or to (egress); undefined when it has errors. */
export function normalizeClusterPeer(raw: unknown, field: string, direction: 'ingress' | 'egress', d: ClusterDialect, p: ProblemList): ClusterPeer | undefined {
  const keys = direction === 'ingress' ? d.ingressPeers : d.egressPeers;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    p.error(field, `must be a mapping with one of ${keys.join(', ')}, got ${describe(raw)}`);
    return undefined;
  }
  const rec = raw as RawRecord;
  const key = exactlyOne(rec, keys, field, 'peer', p);
  switch (key) {
    case undefined:
      return undefined;
    case 'namespaces':
    case 'pods':
      return readPodSelection(rec, key, field, d, p);
    case 'nodes': {
      const nodeSelector = requiredSelector(rec.nodes, childField(field, 'nodes'), 'nodes', p);
      return nodeSelector && { kind: 'nodes', nodeSelector };
    }
    case 'networks': {
      const cidrs = readNetworks(rec.networks, childField(field, 'networks'), p);
      return cidrs && { kind: 'networks', cidrs };
    }
    default: {
      const domainNames = readDomainNames(rec.domainNames, childField(field, 'domainNames'), p);
      return domainNames && { kind: 'domainNames', domainNames };
    }
  }
}

const SET_LIMIT = { min: 1, max: 25 };

/** The CRD's CIDR type: MaxLength 43. */
const CIDR_MAX_LENGTH = 43;

/** A leading zero in an IPv4 octet or in the prefix length: Go's netip.ParsePrefix refuses it. */
const LEADING_ZERO = /(^|[./])0\d/;

function readNetworks(value: unknown, field: string, p: ProblemList): string[] | undefined {
  const list = boundedList(value, field, SET_LIMIT, p);
  if (list === undefined) return undefined;
  const before = p.errorCount;
  const cidrs: string[] = [];
  list.forEach((item, i) => {
    const at = indexField(field, i);
    if (typeof item !== 'string') return p.error(at, `must be a CIDR string, got ${describe(item)}`);
    if (item.length > CIDR_MAX_LENGTH) return p.error(at, `${quote(item)} is longer than ${CIDR_MAX_LENGTH} characters: not a CIDR`);
    const v4 = !item.includes(':');
    if (LEADING_ZERO.test(v4 ? item : item.slice(item.lastIndexOf('/')))) {
      return p.error(at, `${quote(item)} has a leading zero: the API's CIDR check refuses it (write ${quote(item.replace(/(^|[./])0+(\d)/g, '$1$2'))})`);
    }
    const parsed = parseCidr(item);
    if (!parsed.ok) return p.error(at, parsed.message);
    for (const w of parsed.warnings) p.warn(at, w);
    if (!cidrs.includes(parsed.cidr)) cidrs.push(parsed.cidr);
  });
  const dup = firstDuplicate(list);
  if (dup !== undefined) p.error(indexField(field, dup), `repeats ${describe(list[dup])}: networks is a set, the API refuses repeats`);
  return p.errorCount > before ? undefined : cidrs;
}

// The CRD's DomainName pattern, as upstream writes it: an optional "*."
// prefix, then labels of letters, digits, '-' and '_' (alphanumeric at both
// ends), a trailing dot allowed. Its first character class is [a-zA-z0-9]:
// "A-z" also spans [\]^_` in ASCII, so the API accepts those characters
// first in a label, and so does this.
const DOMAIN_NAME = /^(\*\.)?([a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.)+[a-zA-z0-9]([-a-zA-Z0-9_]*[a-zA-Z0-9])?\.?$/;

/** Longest DNS name: 253 characters (the pattern has no bound; this keeps hostile input cheap). */
const DOMAIN_NAME_MAX = 253;

function readDomainNames(value: unknown, field: string, p: ProblemList): string[] | undefined {
  const list = boundedList(value, field, SET_LIMIT, p);
  if (list === undefined) return undefined;
  const before = p.errorCount;
  const names: string[] = [];
  list.forEach((item, i) => {
    const at = indexField(field, i);
    if (typeof item !== 'string') return p.error(at, `must be a domain name string, got ${describe(item)}`);
    if (item.length > DOMAIN_NAME_MAX || !DOMAIN_NAME.test(item)) {
      return p.error(at, `${quote(item)} is not a domain name: labels of letters, digits, '-' and '_' separated by dots, at least two, with an optional leading "*."`);
    }
    names.push(item);
  });
  const dup = firstDuplicate(list);
  if (dup !== undefined) p.error(indexField(field, dup), `repeats ${describe(list[dup])}: domainNames is a set, the API refuses repeats`);
  return p.errorCount > before ? undefined : names;
}
