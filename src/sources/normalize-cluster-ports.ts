// The ports of a cluster-wide policy rule, as the CRDs validate them. Each
// entry is a union (exactly one field set):
//  - v1alpha2 `protocols`: tcp, udp or sctp, each with destinationPort (the
//    protocol object needs it: MinProperties 1), itself exactly one of
//    number (1-65535) or range {start, end} (1-65535 each, start < end, a CEL
//    rule); or destinationNamedPort, a container port name;
//  - v1alpha1 `ports`: portNumber {protocol, port}, portRange {protocol,
//    start, end} (protocol defaults to TCP), or namedPort.
// Names have no pattern in the CRDs; one that is not a valid container port
// name (an IANA_SVC_NAME) can never match one, which is said as a warning;
// an empty one names nothing and is an error. v1alpha1's protocol is a plain
// string to the CRD; nftpol reads TCP, UDP and SCTP (the protocols a port
// has), anything else is an error. v0.1.8 has no CEL rule for start < end;
// its docs require it: a range with start > end (which holds no port) is an
// error, start = end is the one port.
import { childField } from './field-path.ts';
import type { ProblemList } from '../model/problems.ts';
import { describe, optRecord, type RawRecord } from './raw.ts';
import { exactlyOne } from './normalize-cluster-peer.ts';
import { portNameProblem, portNumberProblem, readProtocol } from './normalize-ports.ts';
import type { ClusterPort, Protocol } from '../model/types.ts';

/** One entry of a rule's `protocols` (v1alpha2) or `ports` (v1alpha1); undefined when it has errors. */
export function normalizeClusterPort(raw: unknown, field: string, portsKey: 'protocols' | 'ports', p: ProblemList): ClusterPort | undefined {
  const keys = portsKey === 'protocols' ? ['tcp', 'udp', 'sctp', 'destinationNamedPort'] : ['portNumber', 'namedPort', 'portRange'];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    p.error(field, `must be a mapping with one of ${keys.join(', ')}, got ${describe(raw)}`);
    return undefined;
  }
  const rec = raw as RawRecord;
  const key = exactlyOne(rec, keys, field, 'port', p);
  if (key === undefined) return undefined;
  const at = childField(field, key);
  if (key === 'destinationNamedPort' || key === 'namedPort') return readNamedPort(rec[key], at, p);
  const before = p.errorCount;
  const port = key === 'portNumber' ? readPortNumber(rec[key], at, p)
    : key === 'portRange' ? readPortRange(rec[key], at, undefined, p)
    : readDestinationPort(rec[key], at, key.toUpperCase() as Protocol, p);
  return p.errorCount > before ? undefined : port;
}

function readNamedPort(value: unknown, field: string, p: ProblemList): ClusterPort | undefined {
  if (typeof value !== 'string') {
    p.error(field, `must be a container port name, got ${describe(value)}`);
    return undefined;
  }
  if (value === '') {
    p.error(field, 'an empty port name names no port');
    return undefined;
  }
  const problem = portNameProblem(value);
  if (problem !== undefined) p.warn(field, `${problem}: no container port can have this name, so it matches nothing`);
  return { kind: 'named', name: value };
}

/** A number 1-65535 (or why not) at `field`; undefined when it is missing or wrong. */
function readNumber(value: unknown, field: string, what: string, p: ProblemList): number | undefined {
  if (value === undefined || value === null) {
    p.error(field, `${what} is required`);
    return undefined;
  }
  const problem = portNumberProblem(value);
  if (problem !== undefined) {
    p.error(field, problem);
    return undefined;
  }
  return value as number;
}

/** v1alpha2 tcp/udp/sctp: {destinationPort: {number} | {range: {start, end}}}. */
function readDestinationPort(value: unknown, field: string, protocol: Protocol, p: ProblemList): ClusterPort | undefined {
  const rec = optRecord(value, field, p);
  if (rec === undefined) return undefined;
  const dpField = childField(field, 'destinationPort');
  if (rec.destinationPort == null) {
    p.error(dpField, `destinationPort is required (give a number or a range; for every ${protocol} port, a range 1-65535)`);
    return undefined;
  }
  const dp = optRecord(rec.destinationPort, dpField, p);
  if (dp === undefined) return undefined;
  const key = exactlyOne(dp, ['number', 'range'], dpField, 'destinationPort', p);
  if (key === 'number') {
    const port = readNumber(dp.number, childField(dpField, 'number'), 'number', p);
    return port === undefined ? undefined : { kind: 'number', protocol, port };
  }
  return key === 'range' ? readPortRange(dp.range, childField(dpField, 'range'), protocol, p) : undefined;
}

/** v1alpha1 portNumber: {protocol (default TCP), port}. */
function readPortNumber(value: unknown, field: string, p: ProblemList): ClusterPort | undefined {
  const rec = optRecord(value, field, p);
  if (rec === undefined) return undefined;
  const proto = readProtocol(rec.protocol, childField(field, 'protocol'), p);
  const port = readNumber(rec.port, childField(field, 'port'), 'port', p);
  return proto && port !== undefined ? { kind: 'number', protocol: proto.protocol, port } : undefined;
}

/**
 * A range {start, end}: v1alpha2's (`protocol` given by the tcp/udp/sctp
 * holding it; start < end, the CEL rule) or v1alpha1's portRange (its own
 * protocol, default TCP; start <= end).
 */
function readPortRange(value: unknown, field: string, protocol: Protocol | undefined, p: ProblemList): ClusterPort | undefined {
  const rec = optRecord(value, field, p);
  if (rec === undefined) return undefined;
  const proto = protocol ?? readProtocol(rec.protocol, childField(field, 'protocol'), p)?.protocol;
  const start = readNumber(rec.start, childField(field, 'start'), 'start', p);
  const end = readNumber(rec.end, childField(field, 'end'), 'end', p);
  if (proto === undefined || start === undefined || end === undefined) return undefined;
  if (protocol !== undefined ? start >= end : start > end) {
    const rule = protocol !== undefined ? 'start must be less than end' : 'start must not be greater than end';
    p.error(field, `${rule} (start ${start}, end ${end})`);
    return undefined;
  }
  return start === end ? { kind: 'number', protocol: proto, port: start } : { kind: 'number', protocol: proto, port: start, endPort: end };
}
