// What strict field validation (--validate=strict, the default) costs when
// loading: the same decoded manifests normalized with the schema check and
// without it (--validate=ignore). Parsing the YAML is left out: it is the same
// for both and measured by large-inputs.
import { assembleCluster } from '../src/sources/assemble-cluster.ts';
import { parseManifestText } from '../src/sources/manifest-documents.ts';
import { checkAgainstSchema, schemaTypeOf, type ValidationMode } from '../src/sources/schema-check.ts';
import { isRecord } from '../src/sources/raw.ts';
import { type Bench, count, median, millis, timed } from './bench.ts';
import { largeManifests, POD_HEAVY, POLICY_HEAVY, type LargeManifestSize } from './large-manifests.ts';

const RUNS = 5;

function measure(label: string, size: LargeManifestSize, report: (line: string) => void): void {
  const { documents } = parseManifestText(largeManifests(size), 'bench.yaml');
  const ms = (validate: ValidationMode): number => median(Array.from({ length: RUNS }, () => timed(() => assembleCluster(documents, { validate })).ms));
  ms('strict'); // warm-up
  const ignore = ms('ignore');
  const strict = ms('strict');
  const typed = documents.flatMap((d) => {
    const v = d.value;
    if (!isRecord(v) || typeof v.apiVersion !== 'string' || typeof v.kind !== 'string') return [];
    const type = schemaTypeOf(v.apiVersion.includes('/') ? v.apiVersion.slice(0, v.apiVersion.lastIndexOf('/')) : '', v.kind);
    return type === undefined ? [] : [{ v, type }];
  });
  const alone = median(Array.from({ length: RUNS }, () => timed(() => typed.forEach(({ v, type }) => checkAgainstSchema(v, type))).ms));
  report(`${label}: the schema check alone ${millis(alone)} (${(alone * 1000 / typed.length).toFixed(1)} µs an object)`);
  report(`${label} (${count(documents.length)} objects): normalize ${millis(ignore)} with --validate=ignore, ${millis(strict)} with strict (+${((strict / ignore - 1) * 100).toFixed(0)}%), median of ${RUNS}`);
}

export function runSchemaCheck(report: (line: string) => void): void {
  measure('policy-heavy', POLICY_HEAVY, report);
  measure('pod-heavy', POD_HEAVY, report);
}

export const schemaCheck: Bench = {
  name: 'schema-check',
  description: 'cost of strict field validation: normalizing 10k policies and 112k pods with --validate=strict and =ignore',
  run: (report) => runSchemaCheck(report),
};

if (import.meta.main) runSchemaCheck((line) => console.log(line));
