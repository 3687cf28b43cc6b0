// policy-explain exposure: the JSON's shape and order, text and markdown, refusals.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXPOSURE_LEVELS, MAX_EXPOSURE_PAIRS } from '../../src/explain/exposure.ts';
import { explain, explainShop } from './helpers.ts';

interface Outside { isolated: boolean; connections: string; groups: { connections: string; addresses: string[]; ipBlocks: { policy: string; cidr: string; except: string[] }[] }[] }
interface Exposure {
  workload: string; namespace: string; name: string; kind: string; level: string;
  ingress: { connections: string; allWorkloads: boolean; namespaces: string[]; workloads: { workload: string; connections: string }[]; outside: Outside };
  egress: { outside: Outside };
}
interface Report { apiVersion: string; kind: string; namespace: string | null; order: string[]; workloads: Exposure[]; summary: Record<string, number> }

describe('policy-explain exposure', () => {
  it('writes the documented JSON, widest first', async () => {
    const r = await explainShop('exposure', '-o', 'json');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(Object.keys(report)).toEqual(['apiVersion', 'kind', 'namespace', 'order', 'workloads', 'summary']);
    expect(report).toMatchObject({ apiVersion: 'nftpol.dev/v1alpha1', kind: 'ExposureReport', namespace: null, order: [...EXPOSURE_LEVELS] });
    expect(report.workloads.map((w) => [w.workload, w.level])).toEqual([
      ['kube-system/coredns', 'outside-all'],
      ['monitoring/prometheus', 'outside-all'],
      ['shop-staging/api', 'outside-all'],
      ['shop/web', 'outside'],
      ['shop/api', 'other-namespaces'],
      ['shop/db', 'own-namespace'],
    ]);
    // Levels never go back up the order.
    const ranks = report.workloads.map((w) => EXPOSURE_LEVELS.indexOf(w.level as (typeof EXPOSURE_LEVELS)[number]));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(report.summary).toEqual({ 'outside-all': 3, outside: 1, 'all-workloads': 0, 'other-namespaces': 1, 'own-namespace': 1, none: 0 });
    const web = report.workloads.find((w) => w.workload === 'shop/web');
    expect(Object.keys(web ?? {})).toEqual(['workload', 'namespace', 'name', 'kind', 'level', 'ingress', 'egress']);
    expect(web?.ingress.outside).toMatchObject({
      isolated: true, connections: 'TCP 8080',
      groups: [{ connections: 'TCP 8080', ipBlocks: [{ policy: 'shop/web-ingress', cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] }] }],
    });
    expect(web?.ingress.outside.groups[0]?.addresses).not.toContain('10.0.0.0/8');
    expect(web?.ingress.workloads).toEqual([{ workload: 'shop/api', connections: 'TCP 8080' }, { workload: 'shop-staging/api', connections: 'TCP 8080' }]);
    expect(web?.egress.outside).toEqual({ isolated: true, connections: 'none', groups: [] });
    const db = report.workloads.find((w) => w.workload === 'shop/db');
    expect(db?.ingress).toMatchObject({ connections: 'TCP 5432', allWorkloads: false, namespaces: ['shop'] });
  });

  it('prints text and markdown with the same order', async () => {
    const text = await explainShop('exposure');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('shop/web (Deployment): outside: reachable from outside the cluster\n  from outside:   TCP 8080 through 0.0.0.0/0 except 10.0.0.0/8 (shop/web-ingress)');
    expect(text.stdout.indexOf('shop/web (')).toBeLessThan(text.stdout.indexOf('shop/db ('));
    const md = await explainShop('exposure', '-o', 'markdown');
    expect(md.stdout).toContain('| Workload | Exposure | From outside | From workloads | To outside |');
    expect(md.stdout).toContain('| `shop/db` | own-namespace | none | TCP 5432 from 1 workload in 1 namespace: shop | none |');
  });

  it('keeps to one namespace with -n, and refuses an unknown one and other formats', async () => {
    const r = await explainShop('exposure', '-n', 'shop', '-o', 'json');
    expect((JSON.parse(r.stdout) as Report).workloads.map((w) => w.workload)).toEqual(['shop/web', 'shop/api', 'shop/db']);
    const unknown = await explainShop('exposure', '-n', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no pod or workload in that namespace');
    const dot = await explainShop('exposure', '-o', 'dot');
    expect(dot.code).toBe(2);
  });
});

describe('policy-explain exposure: the README example', () => {
  it('prints what README.md shows for test/cli/fixtures/shop -n shop', async () => {
    const r = await explainShop('exposure', '-n', 'shop');
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    const start = readme.indexOf('$ ./bin/policy-explain -f test/cli/fixtures/shop exposure -n shop');
    expect(start).toBeGreaterThan(0);
    const shown = readme.slice(readme.indexOf('\n', start) + 1, readme.indexOf('  ```', start))
      .split('\n').map((l) => l.replace(/^ {2}/, '')).join('\n');
    expect(shown).toBe(r.stdout);
  });
});

describe('policy-explain exposure size', () => {
  /** Pods in namespaces of the given sizes, as one multi-document YAML text. */
  function pods(sizes: Record<string, number>): string {
    const docs: string[] = [];
    for (const [ns, n] of Object.entries(sizes)) {
      for (let i = 0; i < n; i++) docs.push(`apiVersion: v1\nkind: Pod\nmetadata: {name: p-${i}, namespace: ${ns}}\n`);
    }
    return docs.join('---\n');
  }

  it('refuses a report past the limit before asking, and says how to narrow it', async () => {
    expect(MAX_EXPOSURE_PAIRS).toBe(250_000);
    const r = await explain(['-f', '-', 'exposure'], pods({ big: 480, small: 20 }));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    // 500 workloads × (500 + 2 × 3 outside classes: IPv4, IPv6 below and above the IPv4-mapped block).
    expect(r.stderr).toContain('an exposure report here asks 253,000 connection sets, more than the 250,000 it is limited to: narrow it to one namespace with -n NAMESPACE');
    const narrowed = await explain(['-f', '-', 'exposure', '-n', 'small', '-o', 'json'], pods({ big: 480, small: 20 }));
    expect(narrowed.code).toBe(0);
    expect((JSON.parse(narrowed.stdout) as Report).workloads).toHaveLength(20);
  });
});
