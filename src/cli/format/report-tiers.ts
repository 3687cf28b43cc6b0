// The report page's policy list in evaluation order, as the cluster-wide
// policy API orders each direction's decision (docs/cluster-network-policy.md):
// the Admin tier (priority, lower first), then the NetworkPolicies, then the
// Baseline tier; and, with --against, which cluster-wide policies were added,
// removed or changed. Every name and rule text comes from the manifests:
// written through escapeHtml only.
import { escapeHtml, selectsMarkup } from './report-markup.ts';

/** One rule of a cluster-wide policy, in the order its direction evaluates it. */
export interface ReportClusterRule {
  /** "spec.ingress[0]", as traces name it. */
  readonly field: string;
  /** The rule's optional name. */
  readonly name?: string;
  readonly action: 'Accept' | 'Deny' | 'Pass';
  /** The action as the policy's API writes it (actionWord: Allow for v1alpha1 kinds), which the page shows. */
  readonly actionWord: string;
  /** The rule in words, without its action ("from every pod in all namespaces on any port and protocol"; "matches nothing"). */
  readonly text: string;
  /** The rule had errors in the input and fails closed. */
  readonly failClosed: boolean;
  /** A peer of it is domainNames, which nftpol does not enforce (it matches nothing). */
  readonly domainNames: boolean;
}

export interface ReportClusterPolicy {
  /** "cnp/name", "anp/name", "banp/default". */
  readonly key: string;
  readonly kind: string;
  readonly tier: 'Admin' | 'Baseline';
  readonly priority: number;
  /** The subject in words ("every pod in namespaces tenant=acme"). */
  readonly subject: string;
  /** Ingress rules in order, then egress rules in order. */
  readonly rules: readonly ReportClusterRule[];
  /** The policy itself had errors in the input: its subject is denied every peer and port at its tier and priority. */
  readonly failClosed: boolean;
  /** "namespace/name" of each pod or workload its subject selects. */
  readonly selects: readonly string[];
}

/** With --against: the cluster-wide policies only the new side has, only the old side has, and those of both that differ (with what differs). */
export interface ReportClusterChanges {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changed: readonly { readonly key: string; readonly fields: readonly string[] }[];
}

const ACTION_CLASS: Readonly<Record<ReportClusterRule['action'], string>> = { Accept: 'act-accept', Deny: 'act-deny', Pass: 'act-pass' };

/** The red mark of something failing closed, with why in its tooltip. */
function failMark(title: string): string {
  return ` <span class="fails-closed" title="${escapeHtml(title)}">fails closed</span>`;
}

function ruleItem(r: ReportClusterRule): string {
  const name = r.name === undefined ? '' : ` “${escapeHtml(r.name)}”`;
  const closed = r.failClosed ? failMark('the rule has errors in the input: an Accept rule matches nothing, a Deny or Pass rule denies every peer and port') : '';
  const domains = r.domainNames ? ' <span class="note">domainNames peers are not enforced by nftpol: they match nothing</span>' : '';
  return `<li><span class="act ${ACTION_CLASS[r.action]}">${r.actionWord}</span> ${escapeHtml(r.field)}${name}${closed}: ${escapeHtml(r.text)}${domains}</li>`;
}

function policyRow(p: ReportClusterPolicy): string {
  const closed = p.failClosed ? failMark('the policy has errors in the input: its subject is denied every peer and port, at its tier and priority') : '';
  const rules = p.rules.length === 0 ? '<em>no rule</em>' : `<ol class="rules">${p.rules.map(ruleItem).join('')}</ol>`;
  return `<tr data-key="${escapeHtml(p.key)}"><td>${escapeHtml(p.key)}${closed}</td><td>${escapeHtml(p.kind)}</td><td>${p.tier}</td><td>${p.priority}</td>` +
    `<td>${escapeHtml(p.subject)}</td><td>${rules}</td><td>${selectsMarkup(p.selects)}</td></tr>`;
}

function tierTable(tier: 'Admin' | 'Baseline', policies: readonly ReportClusterPolicy[]): string {
  const id = tier === 'Admin' ? 'admin-policies' : 'baseline-policies';
  const when = tier === 'Admin' ? 'first, before any NetworkPolicy' : 'last: only where no NetworkPolicy isolates the pod in that direction';
  const head = `<h3 id="${id}-head">${tier} tier (decides ${when})</h3>`;
  if (policies.length === 0) return `${head}\n<p id="${id}">No ${tier}-tier policy in the input.</p>`;
  return `${head}\n<table id="${id}" class="cluster-policies"><thead><tr><th>policy</th><th>kind</th><th>tier</th><th>priority</th><th>subject</th>` +
    `<th>rules, in order</th><th>selects</th></tr></thead><tbody>${policies.map(policyRow).join('\n')}</tbody></table>`;
}

/**
 * The policies, in the order a direction is decided in. Without cluster-wide
 * policies, the NetworkPolicy table alone, as before they existed.
 */
export function tieredPolicyList(cluster: readonly ReportClusterPolicy[], networkPolicies: string): string {
  if (cluster.length === 0) return networkPolicies;
  const tier = (t: 'Admin' | 'Baseline'): ReportClusterPolicy[] => cluster.filter((p) => p.tier === t);
  return `<p class="order">Each direction of a connection is decided in this order, the first that decides deciding: the Admin tier (by priority, lower first; ` +
    'within a policy its rules in order: Accept (Allow in v1alpha1) allows, Deny denies, Pass skips the rest of the tier), then the NetworkPolicies that isolate the pod, ' +
    'then the Baseline tier, then allow.</p>\n' +
    `${tierTable('Admin', tier('Admin'))}\n<h3 id="network-policies-head">NetworkPolicies</h3>\n${networkPolicies}\n${tierTable('Baseline', tier('Baseline'))}`;
}

/** The change summary's line on cluster-wide policies; empty when neither side has any. */
export function clusterChangeLine(c: ReportClusterChanges | undefined): string {
  if (c === undefined) return '';
  const parts = [
    ...(c.added.length === 0 ? [] : [`added ${c.added.map(escapeHtml).join(', ')}`]),
    ...(c.removed.length === 0 ? [] : [`removed ${c.removed.map(escapeHtml).join(', ')}`]),
    ...(c.changed.length === 0 ? [] : [`changed ${c.changed.map((x) => `${escapeHtml(x.key)} (${x.fields.map(escapeHtml).join(', ')})`).join(', ')}`]),
  ];
  return `<p id="cluster-changes">Cluster-wide policies: ${parts.length === 0 ? 'none added, removed or changed' : parts.join('; ')}.</p>`;
}

export const TIERS_CSS = `
h3[id$="policies-head"]{font-size:1em;margin-bottom:.4em}
.order{max-width:60em}
.cluster-policies ol.rules{margin:0;padding-left:1.6em}
.act{display:inline-block;min-width:3.6em;font-weight:bold}
.act-accept{color:#1b6e1b}.act-deny{color:#a11}.act-pass{color:#555}
.fails-closed{color:#fff;background:#a40;padding:0 .4em;border-radius:3px;font-size:12px}
.cluster-policies .note{color:#a40;font-style:italic}
.cluster-policies td:first-child{white-space:nowrap}.fails-closed{white-space:nowrap}
`;
