// Ports, as the API validates them. A NetworkPolicyPort has a protocol
// (TCP, UDP or SCTP, case-sensitive; defaulted to TCP), an optional port that
// is a number 1..65535 or a container port name (an IANA_SVC_NAME), and an
// optional endPort that needs a numeric port and must be >= it.
import { childField } from './field-path.ts';
import type { ProblemList } from '../model/problems.ts';
import { describe, isRecord, quote } from './raw.ts';
import type { PolicyPort, Protocol } from '../model/types.ts';
import { PROTOCOLS } from '../model/types.ts';

/** Why `name` is not an IANA_SVC_NAME, or undefined when it is. */
export function portNameProblem(name: string): string | undefined {
  const quoted = quote(name);
  if (name.length === 0 || name.length > 15) return `bad port name ${quoted}: must be 1-15 characters`;
  if (!/^[-a-z0-9]+$/.test(name)) return `bad port name ${quoted}: only lowercase letters, digits and '-' are allowed`;
  if (!/[a-z]/.test(name)) {
    return /^\d+$/.test(name)
      ? `bad port name ${quoted}: a name needs a letter; for a port number write ${name} without quotes`
      : `bad port name ${quoted}: must contain at least one letter`;
  }
  if (name.includes('--')) return `bad port name ${quoted}: must not contain "--"`;
  if (name.startsWith('-') || name.endsWith('-')) return `bad port name ${quoted}: must not begin or end with '-'`;
  return undefined;
}

/** Why `n` is not a port number, or undefined when it is. */
export function portNumberProblem(n: unknown): string | undefined {
  if (typeof n !== 'number') return `must be a number, got ${describe(n)}`;
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `port ${n} is out of range 1-65535`;
  return undefined;
}

/** A protocol as written, or why it is not one; absent means TCP (the API default). */
export type ProtocolReading =
  | { readonly ok: true; readonly protocol: Protocol; readonly defaulted: boolean }
  | { readonly ok: false; readonly message: string };

/**
 * The one reader of a protocol field (NetworkPolicyPort.protocol, a
 * PolicyTest case's protocol): TCP, UDP or SCTP, case-sensitive as the API
 * validates it, with a hint when only the case is wrong.
 */
export function parseProtocol(value: unknown): ProtocolReading {
  if (value === undefined || value === null) return { ok: true, protocol: 'TCP', defaulted: true };
  if (typeof value === 'string' && (PROTOCOLS as readonly string[]).includes(value)) {
    return { ok: true, protocol: value as Protocol, defaulted: false };
  }
  const upper = typeof value === 'string' ? value.toUpperCase() : '';
  const hint = (PROTOCOLS as readonly string[]).includes(upper) ? `; protocols are case-sensitive: write ${upper}` : '';
  const shown = typeof value === 'string' ? quote(value) : describe(value);
  return { ok: false, message: `unknown protocol ${shown} (want TCP, UDP or SCTP)${hint}` };
}

/** Reads a protocol into a problem list; undefined when it is not one. */
export function readProtocol(value: unknown, field: string, p: ProblemList): { protocol: Protocol; defaulted: boolean } | undefined {
  const r = parseProtocol(value);
  if (r.ok) return { protocol: r.protocol, defaulted: r.defaulted };
  p.error(field, r.message);
  return undefined;
}

/** One entry of a rule's `ports`; undefined when it has errors. */
export function normalizePolicyPort(raw: unknown, field: string, p: ProblemList): PolicyPort | undefined {
  if (!isRecord(raw)) {
    p.error(field, `must be a mapping with protocol, port and endPort, got ${describe(raw)}`);
    return undefined;
  }
  const before = p.errorCount;
  const proto = readProtocol(raw.protocol, childField(field, 'protocol'), p);
  const portField = childField(field, 'port');
  const endField = childField(field, 'endPort');
  const port = raw.port ?? undefined;
  const endPort = raw.endPort ?? undefined;
  if (typeof port === 'string') {
    const problem = portNameProblem(port);
    if (problem) p.error(portField, problem);
  } else if (port !== undefined) {
    const problem = portNumberProblem(port);
    if (problem) p.error(portField, problem);
  }
  if (endPort !== undefined) {
    const problem = portNumberProblem(endPort);
    if (port === undefined) p.error(endField, 'endPort without a port: endPort needs a numeric port');
    else if (typeof port === 'string') p.error(endField, `endPort with a named port (${quote(port)}): ranges need a numeric port`);
    else if (problem) p.error(endField, problem);
    else if (typeof port === 'number' && (endPort as number) < port) p.error(endField, `endPort < port (${String(endPort)} < ${port})`);
  }
  if (p.errorCount > before || !proto) return undefined;
  return {
    protocol: proto.protocol,
    protocolDefaulted: proto.defaulted,
    ...(port !== undefined && { port: port as number | string }),
    ...(endPort !== undefined && { endPort: endPort as number }),
  };
}
