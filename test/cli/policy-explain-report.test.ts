// policy-explain report: one self-contained HTML page; every string from
// the input escaped, the embedded data unable to close its script element;
// the pairs encoded compactly and read back exactly; the size limit.
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderReportHtml, scriptJson, type ReportData } from '../../src/cli/format/report-html.ts';
import { decodeCell, encodeReport, type EncodedReport } from '../../src/cli/format/report-encode.ts';
import { MAX_REPORT_PAIRS, reportData } from '../../src/cli/explain/report.ts';
import { loadInput } from '../../src/cli/input.ts';
import { explain, explainShop, SHOP } from './helpers.ts';
import { manyWorkloads } from './report-workloads.ts';

const HOSTILE = '</script><img src=x onerror="alert(1)">&\'';

type Embedded = EncodedReport & { endpoints: { id: string }[]; appeared: number[] };

/** The JSON the page's script reads, parsed as the browser would. */
function embedded(html: string): Embedded {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  if (m?.[1] === undefined) throw new Error('no embedded data');
  return JSON.parse(m[1]) as Embedded;
}

/** Each cell of the page, read back as the page's script reads it. */
function pageCells(html: string): { ids: string[]; cell: (from: string, to: string) => ReturnType<typeof decodeCell>; count: number } {
  const data = embedded(html);
  const ids = data.endpoints.map((e) => e.id);
  return { ids, cell: (from, to) => decodeCell(data, ids.indexOf(from), ids.indexOf(to)), count: data.cells.flat().length };
}

function hostileData(): ReportData {
  const e = { id: `evil/${HOSTILE}`, namespace: HOSTILE, name: HOSTILE, kind: 'Pod' };
  const cell = { verdict: 'denied' as const, connections: HOSTILE, probe: '80/TCP', trace: HOSTILE };
  return {
    title: HOSTILE,
    failClosed: [HOSTILE],
    endpoints: [e, { ...e, id: 'evil/b' }],
    cells: [[{ verdict: 'self', connections: '', probe: null, trace: null }, cell], [cell, { verdict: 'self', connections: '', probe: null, trace: null }]],
    policies: [{ namespace: HOSTILE, name: HOSTILE, policyTypes: [HOSTILE], selects: [HOSTILE] }],
    clusterPolicies: [{
      key: `cnp/${HOSTILE}`, kind: HOSTILE, tier: 'Admin', priority: 1, subject: HOSTILE, failClosed: true, selects: [HOSTILE],
      rules: [{ field: HOSTILE, name: HOSTILE, action: 'Deny', actionWord: 'Deny', text: HOSTILE, failClosed: true, domainNames: true }],
    }],
    findings: [{ severity: 'warning', id: HOSTILE, object: HOSTILE, field: HOSTILE, message: HOSTILE }],
    comparison: {
      old: HOSTILE, new: HOSTILE, appeared: [`evil/${HOSTILE}`], disappeared: [HOSTILE],
      changes: [{ from: 0, to: 1, before: HOSTILE, after: HOSTILE, added: HOSTILE, removed: HOSTILE, mark: 'both' }],
      clusterPolicies: { added: [HOSTILE], removed: [HOSTILE], changed: [{ key: HOSTILE, fields: [HOSTILE] }] },
    },
  };
}

describe('policy-explain report', () => {
  it('escapes hostile names everywhere: no markup from input, and the data cannot close its script', () => {
    const html = renderReportHtml(hostileData());
    expect(html).not.toContain('<img');
    expect(html).not.toContain('onerror="');
    // Two scripts of the page's own, and nothing else closes one.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).toContain(escapeHtml(HOSTILE));
    // The script reads the names back unchanged.
    const data = embedded(html);
    expect(data.endpoints[0]?.id).toBe(`evil/${HOSTILE}`);
    expect(decodeCell(data, 0, 1).trace).toBe(HOSTILE);
    expect(scriptJson('<\u2028')).toBe('"\\u003c\\u2028"');
  });

  it('is self-contained: no URL, no external source, a CSP that forbids loading anything', async () => {
    const r = await explainShop('report');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).not.toMatch(/https?:|\/\/[a-z]|\bsrc=|\bhref=|@import|url\(/i);
    expect(r.stdout).toContain("default-src 'none'");
  });

  it('colours each pair by its connection set and embeds the trace of a representative port', async () => {
    const r = await explainShop('report');
    const { cell } = pageCells(r.stdout);
    // web may reach the API on 8080 only (partial); nothing reaches the db from web; api reaches kube-system on everything.
    expect(cell('shop/web', 'shop/api')?.verdict).toBe('partial');
    expect(cell('shop/web', 'shop/api')?.probe).toBe('8080/TCP');
    expect(cell('shop/web', 'shop/api')?.trace).toMatch(/^ALLOWED/);
    expect(cell('shop/web', 'shop/db')?.verdict).toBe('denied');
    expect(cell('shop/web', 'shop/db')?.trace).toMatch(/^DENIED/);
    expect(cell('shop/api', 'kube-system/coredns')?.verdict).toBe('allowed');
    expect(cell('shop/api', 'shop/api')?.verdict).toBe('self');
    // Policies with the pods they select, and lint findings, are on the page.
    expect(r.stdout).toContain('<h2>Policies</h2>');
    expect(r.stdout).toMatch(/<td>shop\/[a-z-]+<\/td><td>[A-Za-z, ]+<\/td><td>shop\/(api|db|web)/);
  });

  it('writes the page to --out, and refuses another -o format', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    const file = join(dir, 'report.html');
    const r = await explainShop('report', '--out', file);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(await readFile(file, 'utf8')).toMatch(/^<!DOCTYPE html>/);
    const bad = await explainShop('-o', 'json', 'report');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--output json is not available for report');
  });

  it('refuses a page past 160,000 pairs (400 workloads) before asking any verdict, saying how to narrow it; answers once narrowed', async () => {
    expect(MAX_REPORT_PAIRS).toBe(160_000);
    const docs: string[] = [];
    for (const [ns, n] of [['big', 390], ['small', 20]] as const) {
      for (let i = 0; i < n; i++) docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: p-${i}, namespace: ${ns}}\n`);
    }
    const input = docs.join('---\n');
    const r = await explain(['-f', '-', 'report'], input);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('a matrix of 410 pods and workloads has 168,100 cells, more than the 160,000 it is limited to. Narrow it to one namespace with -n NAMESPACE');
    const narrowed = await explain(['-f', '-', '-n', 'small', 'report'], input);
    expect(narrowed.code).toBe(0);
    expect(pageCells(narrowed.stdout).count).toBe(400);
  });

  it('makes a page of 200 workloads (40,000 pairs) of a few hundred KiB, every pair read back as computed', async () => {
    const r = await explain(['-f', '-', 'report'], manyWorkloads(4, 50));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // A trace and a table cell per pair was some 30 MiB (bench/report.ts); shared trace shapes make it a few bytes a pair.
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(400 * 1024);
    const page = pageCells(r.stdout);
    expect(page.count).toBe(40_000);
    expect(page.cell('ns-1/web-0', 'ns-1/api-1')).toMatchObject({ verdict: 'partial', connections: 'TCP 8080', probe: '8080/TCP' });
    expect(page.cell('ns-1/web-0', 'ns-1/api-1').trace).toMatch(/^ALLOWED {2}ns-1\/web-0 \(10\.[0-9.]+\) -> ns-1\/api-1 \(10\.[0-9.]+\) 8080\/TCP\n/);
    expect(page.cell('ns-2/web-3', 'ns-0/db-2')).toMatchObject({ verdict: 'denied', connections: 'none', probe: '5432/TCP' });
    expect(page.cell('ns-2/web-3', 'ns-0/db-2').trace).toContain('ingress of ns-0/db-2: denied');
    // A policy selecting a namespace's 50 pods folds its list.
    expect(r.stdout).toContain('<tr><td>ns-0/default-deny</td><td>Ingress</td><td><details><summary>50 pods and workloads: ns-0/api-1, ns-0/api-10, ns-0/api-13, …</summary>ns-0/api-1, ');
  });

  it('encodes every pair exactly: each cell read back equals the one computed (names and addresses put back in their traces)', async () => {
    const loaded = await loadInput({ filename: ['-'] }, { stdout: { write: () => undefined }, stderr: { write: () => undefined }, stdin: manyWorkloads(2, 12) });
    const data = reportData(loaded.state, loaded.objects, null);
    const encoded = encodeReport(data);
    data.cells.forEach((row, i) => row.forEach((c, j) => {
      expect(decodeCell(encoded, i, j)).toEqual({ verdict: c.verdict, connections: c.connections, probe: c.probe, trace: c.trace });
    }));
    // Traces share shapes: far fewer templates than pairs.
    expect(encoded.templates.length).toBeLessThan(data.cells.length * data.cells.length / 10);
  });

  it('reads back a trace whose subjects hold one another, or that already holds a slot character', () => {
    const trace = 'ALLOWED  shop/api-v2 (10.0.0.1) -> shop/api (10.0.0.12)\n  ingress of shop/api: allowed';
    const odd = 'DENIED  x \ue000 \ue101 y';
    const cell = (t: string, from: string[], to: string[]) => ({ verdict: 'partial' as const, connections: 'TCP 80', probe: '80/TCP', trace: t, subjects: { from, to } });
    const e = { id: 'shop/a', namespace: 'shop', name: 'a', kind: 'Pod' };
    const self = { verdict: 'self' as const, connections: '', probe: null, trace: null };
    const data: ReportData = {
      title: 't', failClosed: [], policies: [], clusterPolicies: [], findings: [], endpoints: [e, { ...e, id: 'shop/b' }],
      cells: [[self, cell(trace, ['shop/api-v2', '10.0.0.1'], ['shop/api', '10.0.0.12'])], [cell(odd, ['x'], ['y']), self]],
    };
    const encoded = encodeReport(data);
    expect(decodeCell(encoded, 0, 1).trace).toBe(trace);
    expect(decodeCell(encoded, 1, 0).trace).toBe(odd);
  });

  it('puts policies with errors first, as failing closed, and exits 2 as every command does', async () => {
    const broken = `${await readFile(join(SHOP, '20-policies.yaml'), 'utf8')}\n---\n${await readFile(join(SHOP, '10-workloads.yaml'), 'utf8')}\n---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-broken, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]
`;
    const r = await explain(['-f', join(SHOP, '00-namespaces.yaml'), '-f', '-', 'report'], broken);
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/<ul id="fail-closed"><li class="warning">fail closed: shop\/db-broken \(&lt;stdin&gt;.*has errors in the input/);
  });
});
