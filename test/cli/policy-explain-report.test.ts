// policy-explain report: one self-contained HTML page; every string from
// the input escaped, the embedded data unable to close its script element.
import { readFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderReportHtml, scriptJson, type ReportData } from '../../src/cli/format/report-html.ts';
import { MAX_REPORT_PAIRS } from '../../src/cli/explain/report.ts';
import { explain, explainShop, SHOP } from './helpers.ts';

const HOSTILE = '</script><img src=x onerror="alert(1)">&\'';

/** The JSON the page's script reads, parsed as the browser would. */
function embedded(html: string): { endpoints: { id: string }[]; cells: { verdict: string; trace: string | null; probe: string | null }[][] } {
  const m = /<script type="application\/json" id="report-data">([^<]*)<\/script>/.exec(html);
  if (m?.[1] === undefined) throw new Error('no embedded data');
  return JSON.parse(m[1]) as ReturnType<typeof embedded>;
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
    findings: [{ severity: 'warning', id: HOSTILE, object: HOSTILE, field: HOSTILE, message: HOSTILE }],
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
    expect(data.cells[0]?.[1]?.trace).toBe(HOSTILE);
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
    const data = embedded(r.stdout);
    const ids = data.endpoints.map((e) => e.id);
    const cell = (from: string, to: string) => data.cells[ids.indexOf(from)]?.[ids.indexOf(to)];
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

  it('refuses a page past 10,000 pairs before asking any verdict, saying how to narrow it; answers once narrowed', async () => {
    expect(MAX_REPORT_PAIRS).toBe(10_000);
    const docs: string[] = [];
    for (const [ns, n] of [['big', 90], ['small', 20]] as const) {
      for (let i = 0; i < n; i++) docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: p-${i}, namespace: ${ns}}\n`);
    }
    const input = docs.join('---\n');
    const r = await explain(['-f', '-', 'report'], input);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('a matrix of 110 pods and workloads has 12,100 cells, more than the 10,000 it is limited to. Narrow it to one namespace with -n NAMESPACE');
    const narrowed = await explain(['-f', '-', '-n', 'small', 'report'], input);
    expect(narrowed.code).toBe(0);
    expect(narrowed.stdout.match(/<td class="cell /g)).toHaveLength(400);
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
