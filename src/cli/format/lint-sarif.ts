// `policy-explain lint -o sarif`: the findings as a SARIF 2.1.0 log (OASIS
// Static Analysis Results Interchange Format), the format code-scanning
// tools (GitHub code scanning, GitLab, Azure DevOps) read. One run by the
// tool `nftpol`, whose rules are every lint check; each finding a result with
// its check id, level (warning, or note for info findings), message, the
// object as a logical location, and, when it came from a file, the file and
// line of its field with the object's lines around it.
//
// Code scanning matches a result to the repository's files by a URI relative
// to the checkout: paths are written relative to the root of the git
// repository the files are in (%SRCROOT%), with "/" and percent-encoding, as
// GitHub's upload expects. A file outside that root is written as an
// absolute file: URI.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LintFinding } from '../../lint/lint-cluster.ts';
import { LINT_CHECK_IDS } from '../../lint/lint-cluster.ts';
import { LINT_RULE_TEXT } from './lint-sarif-rules.ts';

export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
const SRCROOT = '%SRCROOT%';

/** Where a finding is: the lines lint-locations.ts found, if any. */
export interface SarifLines {
  readonly line: number;
  readonly object?: { readonly startLine: number; readonly endLine: number };
}

export interface SarifOptions {
  readonly version: string;
  /** The repository root that URIs are relative to (absolute). */
  readonly root: string;
  /** The directory the findings' file names are relative to (absolute). */
  readonly cwd: string;
  readonly lines: (f: LintFinding) => SarifLines | undefined;
}

// The shapes written: a subset of SARIF 2.1.0, named as the schema names them.
interface ArtifactLocation { readonly uri: string; readonly uriBaseId?: string }
interface Region { readonly startLine: number; readonly endLine?: number }
interface Location {
  readonly physicalLocation?: { readonly artifactLocation: ArtifactLocation; readonly region?: Region; readonly contextRegion?: Region };
  readonly logicalLocations: readonly { readonly name: string; readonly fullyQualifiedName: string; readonly kind: string }[];
}
interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: 'warning' | 'note';
  readonly message: { readonly text: string };
  readonly locations: readonly Location[];
  readonly partialFingerprints: Readonly<Record<string, string>>;
  readonly properties: { readonly object: LintFinding['object']; readonly field: string };
}
export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly {
    readonly tool: { readonly driver: Readonly<Record<string, unknown>> };
    readonly originalUriBaseIds: Readonly<Record<string, { readonly uri: string }>>;
    readonly columnKind: 'unicodeCodePoints';
    readonly results: readonly SarifResult[];
  }[];
}

function rules(): Record<string, unknown>[] {
  return LINT_CHECK_IDS.map((id) => {
    const text = LINT_RULE_TEXT[id];
    if (!text) throw new Error(`lint check ${id} has no rule text in lint-sarif-rules.ts`);
    return {
      id,
      shortDescription: { text: text.short },
      fullDescription: { text: text.help },
      help: { text: text.help },
      defaultConfiguration: { level: text.level === 'warning' ? 'warning' : 'note' },
      properties: { tags: ['kubernetes', 'networkpolicy'] },
    };
  });
}

/** A path as a URI reference: "/"-separated segments, each percent-encoded. */
function uriPath(relative: string): string {
  return relative.split(path.sep).map(encodeURIComponent).join('/');
}

function artifactLocation(file: string, opts: SarifOptions): ArtifactLocation {
  const absolute = path.resolve(opts.cwd, file);
  const relative = path.relative(opts.root, absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return { uri: pathToFileURL(absolute).href };
  return { uri: uriPath(relative), uriBaseId: SRCROOT };
}

function objectName(f: LintFinding): string {
  return f.object.kind === 'Namespace' || f.object.namespace === '' ? f.object.name : `${f.object.namespace}/${f.object.name}`;
}

function location(f: LintFinding, opts: SarifOptions): Location {
  const name = objectName(f);
  const logical = [{ name: f.field === '' ? name : `${name} ${f.field}`, fullyQualifiedName: `${f.object.kind} ${name}${f.field === '' ? '' : ` ${f.field}`}`, kind: 'object' }];
  const file = f.source?.file;
  const lines = opts.lines(f);
  if (file === undefined || lines === undefined) return { logicalLocations: logical };
  const contextRegion = lines.object ? { contextRegion: { startLine: lines.object.startLine, endLine: lines.object.endLine } } : {};
  return {
    physicalLocation: { artifactLocation: artifactLocation(file, opts), region: { startLine: lines.line }, ...contextRegion },
    logicalLocations: logical,
  };
}

/** A digest of what identifies a finding apart from its line, so an alert survives edits above it. */
function fingerprint(f: LintFinding): string {
  return createHash('sha256').update(JSON.stringify([f.id, f.object.kind, f.object.namespace, f.object.name, f.field])).digest('hex').slice(0, 32);
}

export function lintSarif(findings: readonly LintFinding[], opts: SarifOptions): SarifLog {
  const index = new Map(LINT_CHECK_IDS.map((id, i) => [id, i]));
  const results = findings.map((f): SarifResult => ({
    ruleId: f.id,
    ruleIndex: index.get(f.id) ?? -1,
    level: f.severity === 'warning' ? 'warning' : 'note',
    message: { text: `${f.object.kind} ${objectName(f)}${f.field === '' ? '' : ` ${f.field}`}: ${f.message}` },
    locations: [location(f, opts)],
    partialFingerprints: { 'nftpolFinding/v1': fingerprint(f) },
    properties: { object: f.object, field: f.field },
  }));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: { driver: { name: 'nftpol', fullName: 'nftpol policy-explain lint', version: opts.version, semanticVersion: opts.version, rules: rules() } },
      originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(opts.root).href.replace(/\/?$/, '/')}` } },
      columnKind: 'unicodeCodePoints',
      results,
    }],
  };
}
