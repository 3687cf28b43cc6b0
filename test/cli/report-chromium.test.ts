// policy-explain report in a real headless Chromium (Debian's chromium,
// driven with puppeteer-core): the page loads with no console error and no
// request, a known cell shows its verdict, and clicking it shows the trace;
// at 200 workloads with --against too, where a changed cell shows its mark
// and, clicked, what changed, and the filters, "show only changed" and
// collapsing a namespace narrow the matrix; past 200 workloads the page
// opens on its namespaces, collapsed; with cluster-wide policies, the policy
// list shows a ClusterNetworkPolicy in its tier with its rules and selected
// pods, and a cell its Admin rule decides says so. Screenshots are left in a temporary
// folder (their paths are printed).
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { describeRequiring } from '../support/describe-requiring.ts';
import { explain, explainShop } from './helpers.ts';
import { manyWorkloads } from './report-workloads.ts';

const ADMIN_PASS = fileURLToPath(new URL('../../policies-examples/admin-pass-delegation/manifests', import.meta.url));

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => p !== undefined && p !== '');

async function chromiumPath(): Promise<string | undefined> {
  for (const p of CANDIDATES) {
    try {
      await access(p, constants.X_OK);
      return p;
    } catch { /* the next candidate */ }
  }
  return undefined;
}

const binary = await chromiumPath();

await describeRequiring('browser', () => Promise.resolve(binary === undefined
  ? [`no chromium binary at ${CANDIDATES.join(' or ')} (apt-get install -y chromium; scripts/system-deps.sh)`] : []),
'policy-explain report in headless Chromium', () => {
  let browser: Browser | undefined;
  let dir = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nftpol-report-'));
    // --no-sandbox: the tests run as root in a container, where Chromium's sandbox cannot start.
    browser = await puppeteer.launch({ executablePath: binary ?? '', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  }, 20_000);
  afterAll(async () => {
    await browser?.close();
  });

  /** The page of `html` opened in a new tab, with what it logs as an error and what it requests off the file. */
  async function open(html: string, name: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    if (browser === undefined) throw new Error('no browser');
    const file = join(dir, name);
    await writeFile(file, html);
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (q) => {
      if (!q.url().startsWith('file:')) requests.push(q.url());
    });
    await page.setViewport({ width: 1100, height: 900 });
    await page.goto(`file://${file}`, { waitUntil: 'load' });
    return { page, errors, requests };
  }

  /** The selector of the cell from `from` to `to`: rows and columns follow the embedded endpoints. */
  async function cellSelector(page: Page, from: string, to: string): Promise<string> {
    // (Expressions as text: they run in the page, and the tests compile without the DOM's types.)
    const ids = await page.evaluate("JSON.parse(document.getElementById('report-data').textContent).endpoints.map((e) => e.id)") as string[];
    return `td.cell[data-from="${ids.indexOf(from)}"][data-to="${ids.indexOf(to)}"]`;
  }

  /** A cell's text, its verdict's and change's classes, and its colour. */
  const look = (page: Page, selector: string): Promise<unknown> => page.evaluate(`(() => { const td = document.querySelector('${selector}');
    return [td.textContent, [...td.classList].filter((c) => c !== 'cell' && c !== 'gs').join(' '), getComputedStyle(td).backgroundColor]; })()`);
  const text = (page: Page, selector: string): Promise<string | null> => page.$eval(selector, (el) => el.textContent);

  it('loads without console errors or requests; a cell shows its verdict and, clicked, its trace', async () => {
    const r = await explainShop('report');
    expect(r.code).toBe(0);
    const { page, errors, requests } = await open(r.stdout, 'report.html');
    const selector = await cellSelector(page, 'shop/web', 'shop/api');
    const cell = await page.$(selector);
    if (cell === null) throw new Error(`no cell ${selector}`);
    expect(await look(page, selector)).toEqual(['◐', 'partial', 'rgb(251, 231, 161)']);
    expect(await page.$eval('#trace', (el) => el.textContent)).toBe('');

    await cell.click();
    const head = await page.$eval('#trace-head', (el) => el.textContent);
    const trace = await page.$eval('#trace', (el) => el.textContent);
    expect(head).toBe('shop/web -> shop/api: partial (allowed: TCP 8080); trace for 8080/TCP');
    expect(trace).toMatch(/^ALLOWED/);
    expect(trace).toContain('shop/web');

    const shot = join(dir, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.info(`report screenshot: ${shot}`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  }, 20_000);

  it('at 200 workloads with --against: loads without errors, a known cell and a changed one show their verdict, mark and trace; filters narrow the matrix', async () => {
    const old = join(dir, 'old.yaml');
    await writeFile(old, manyWorkloads(4, 50));
    const r = await explain(['-f', old, 'report', '--against', '-'], manyWorkloads(4, 50, true));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const { page, errors, requests } = await open(r.stdout, 'report-200.html');
    expect(await text(page, '#shown')).toBe('showing 200 rows × 200 columns of 200 × 200');

    // An unchanged pair: web reaches its namespace's api on 8080 only.
    const known = await cellSelector(page, 'ns-1/web-0', 'ns-1/api-1');
    expect(await look(page, known)).toEqual(['◐', 'partial', 'rgb(251, 231, 161)']);
    await page.click(known);
    expect(await text(page, '#trace-head')).toBe('ns-1/web-0 -> ns-1/api-1: partial (allowed: TCP 8080); trace for 8080/TCP');
    expect(await text(page, '#trace')).toMatch(/^ALLOWED {2}ns-1\/web-0 \(10\.[0-9.]+\) -> ns-1\/api-1 \(10\.[0-9.]+\) 8080\/TCP\n[^]*allowed by ns-1\/api-from-web spec\.ingress\[0\]/);
    expect(await page.$eval('#change', (el) => el.hidden)).toBe(true);

    // A changed pair: the new policy lets every web reach ns-0's db on 5432.
    const changed = await cellSelector(page, 'ns-2/web-3', 'ns-0/db-2');
    expect(await look(page, changed)).toEqual(['◐+', 'partial chg-add', 'rgb(251, 231, 161)']);
    await page.click(changed);
    expect(await text(page, '#change')).toBe('+ newly allowed\nbefore:  none\nafter:   TCP 5432\nadded:   TCP 5432\nremoved: none');
    expect(await text(page, '#trace')).toContain('allowed by ns-0/db-from-every-web spec.ingress[0]');
    await page.screenshot({ path: join(dir, 'report-200.png') });

    // From ns-3 only; then only the changed pairs (every web to ns-0's db: 17 webs of ns-3, 16 dbs).
    await page.type('#filter-from', 'ns-3/');
    await page.waitForFunction("document.getElementById('shown').textContent.startsWith('showing 50 rows')");
    expect(await text(page, '#shown')).toBe('showing 50 rows × 200 columns of 200 × 200');
    await page.click('#only-changed');
    expect(await text(page, '#shown')).toBe('showing 17 rows × 16 columns of 200 × 200');
    await page.screenshot({ path: join(dir, 'report-200-changed.png') });
    // Collapsing ns-0 makes its columns one.
    await page.click('#matrix th.ns[data-ns="ns-0"]');
    expect(await text(page, '#shown')).toBe('showing 17 rows × 1 columns of 200 × 200');
    expect(await page.$$eval('#matrix td.agg', (tds) => tds.map((td) => td.textContent))).toEqual(Array(17).fill('◐+'));
    // The change list's first row (newly allowed first) selects its pair, clearing the filter and the collapse that hid it.
    await page.click('#change-list tbody tr');
    expect(await text(page, '#trace-head')).toBe('ns-0/web-0 -> ns-0/db-11: partial (allowed: TCP 5432); trace for 5432/TCP');
    expect(await text(page, '#shown')).toBe('showing 68 rows × 16 columns of 200 × 200');
    expect(await page.$$eval('#matrix td.selected', (tds) => tds.length)).toBe(1);
    console.info(`report screenshots: ${join(dir, 'report-200.png')}, ${join(dir, 'report-200-changed.png')}`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  }, 90_000);

  it('lists a ClusterNetworkPolicy in its tier with its rules and selected pods; a cell its Admin rule decides says so when clicked', async () => {
    const r = await explain(['-f', ADMIN_PASS, 'report']);
    expect(r.code).toBe(0);
    const { page, errors, requests } = await open(r.stdout, 'report-cluster.html');
    // The policy list's headings in evaluation order, as the page shows them.
    expect(await page.$$eval('h3[id$="policies-head"]', (hs) => hs.map((h) => h.textContent))).toEqual([
      'Admin tier (decides first, before any NetworkPolicy)', 'NetworkPolicies',
      'Baseline tier (decides last: only where no NetworkPolicy isolates the pod in that direction)',
    ]);
    const row = '#admin-policies tr[data-key="cnp/tenant-acme"]';
    const cells = await page.$$eval(`${row} > td`, (tds) => tds.map((td) => (td as unknown as { innerText: string }).innerText));
    expect(cells.slice(0, 5)).toEqual(['cnp/tenant-acme', 'ClusterNetworkPolicy', 'Admin', '20', 'every pod in namespaces tenant=acme']);
    expect(cells[6]).toBe('acme-db/postgres, acme-web/api, acme-web/portal');
    expect(await page.$$eval(`${row} ol.rules > li > .act`, (as) => as.map((a) => a.textContent))).toEqual(['Accept', 'Accept', 'Pass', 'Deny']);
    // Drawn, not hidden: the row has a size on the page.
    expect(await page.$eval(row, (tr) => tr.getBoundingClientRect().height)).toBeGreaterThan(20);

    const selector = await cellSelector(page, 'globex-web/shop', 'acme-web/api');
    expect(await look(page, selector)).toEqual(['✗', 'denied', 'rgb(245, 183, 177)']);
    await page.click(selector);
    // In evaluation order: the earlier rules that missed (the last of them here), then the Deny.
    expect(await text(page, '#trace')).toContain('ingress of acme-web/api: denied (decided in the Admin tier)\n    no match: cnp/tenant-acme spec.ingress[0]');
    expect(await text(page, '#trace')).toContain('wanted tenant=acme (selector tenant=acme)\n'
      + '    denied by cnp/tenant-acme spec.ingress[3] "deny-other-pods" (Deny, Admin tier, priority 20)');
    await page.$eval('#admin-policies', (t) => t.scrollIntoView());
    await page.screenshot({ path: join(dir, 'report-cluster.png'), fullPage: true });
    console.info(`report screenshot: ${join(dir, 'report-cluster.png')}`);
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  }, 20_000);

  it('past 200 workloads opens on the namespaces, collapsed; expanding one shows its pairs', async () => {
    const r = await explain(['-f', '-', 'report'], manyWorkloads(5, 41));
    expect(r.code).toBe(0);
    const { page, errors, requests } = await open(r.stdout, 'report-205.html');
    expect(await text(page, '#shown')).toBe('showing 5 rows × 5 columns of 205 × 205');
    expect(await page.$eval('#density', (el) => (el as unknown as { value: string }).value)).toBe('normal');
    // Within ns-1, web reaches api on 8080 only, api db on 5432 only, and nothing else is allowed: partial.
    await page.click('#matrix tbody tr:nth-child(2) td:nth-child(3)');
    expect(await text(page, '#trace-head')).toBe('ns-1 (41) -> ns-1 (41): partial');
    await page.click('#matrix th.ns[data-ns="ns-1"]');
    expect(await text(page, '#shown')).toBe('showing 45 rows × 45 columns of 205 × 205');
    await page.screenshot({ path: join(dir, 'report-205.png') });
    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
  }, 90_000);
});
