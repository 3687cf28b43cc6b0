// Object names as the API server validates them (ValidateObjectMeta with each
// kind's name rule): a Namespace's name is a DNS-1123 label (it becomes a DNS
// label in service names); Pods, NetworkPolicies, Nodes and the workloads are
// DNS-1123 subdomains; a CronJob's name is also at most 52 characters (its Jobs
// add an 11-character suffix and must stay a 63-character label). A
// namespaced object's metadata.namespace must be a Namespace name.
// Wording follows apimachinery's messages.

import { quote } from './raw.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const LABEL_RULE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name', or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_RULE = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

/** Why `name` is not a DNS-1123 label, or undefined when it is. */
export function dnsLabelProblem(name: string): string | undefined {
  if (name.length > 63) return `Invalid value: ${quote(name)}: must be no more than 63 characters`;
  if (!DNS1123_LABEL.test(name)) return `Invalid value: ${quote(name)}: ${LABEL_RULE}`;
  return undefined;
}

/** Why `name` is not a DNS-1123 subdomain, or undefined when it is. */
export function dnsSubdomainProblem(name: string): string | undefined {
  if (name.length > 253) return `Invalid value: ${quote(name)}: must be no more than 253 characters`;
  if (!DNS1123_SUBDOMAIN.test(name)) return `Invalid value: ${quote(name)}: ${SUBDOMAIN_RULE}`;
  return undefined;
}

/** The longest CronJob name: its Jobs' names add 11 characters and must stay a 63-character label. */
const CRONJOB_NAME_MAX = 52;

/** Why `name` is not a valid metadata.name for `kind`, or undefined when it is. */
export function objectNameProblem(kind: string, name: string): string | undefined {
  if (kind === 'Namespace') return dnsLabelProblem(name);
  if (kind === 'CronJob' && name.length > CRONJOB_NAME_MAX) return `Invalid value: ${quote(name)}: must be no more than ${CRONJOB_NAME_MAX} characters`;
  return dnsSubdomainProblem(name);
}
