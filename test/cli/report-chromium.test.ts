// policy-explain report in a real headless Chromium (Debian's chromium,
// driven with puppeteer-core): the page loads with no console error and no
// request, a known cell shows its verdict, and clicking it shows the trace.
// A screenshot is left in a temporary folder (its path is printed).
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import puppeteer, { type Browser } from 'puppeteer-core';
import { describeRequiring } from '../support/describe-requiring.ts';
import { explainShop } from './helpers.ts';

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

  it('loads without console errors or requests; a cell shows its verdict and, clicked, its trace', async () => {
    if (browser === undefined) throw new Error('no browser');
    const r = await explainShop('report');
    expect(r.code).toBe(0);
    const file = join(dir, 'report.html');
    await writeFile(file, r.stdout);
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

    // Rows and columns follow the embedded endpoints: find web -> api by id.
    // (Expressions as text: they run in the page, and the tests compile without the DOM's types.)
    const ids = await page.evaluate("JSON.parse(document.getElementById('report-data').textContent).endpoints.map((e) => e.id)") as string[];
    const selector = `td.cell[data-from="${ids.indexOf('shop/web')}"][data-to="${ids.indexOf('shop/api')}"]`;
    const cell = await page.$(selector);
    if (cell === null) throw new Error(`no cell ${selector}`);
    const look = `(() => { const td = document.querySelector('${selector}'); return [td.textContent, td.className, getComputedStyle(td).backgroundColor]; })()`;
    expect(await page.evaluate(look)).toEqual(['◐', 'cell partial', 'rgb(251, 231, 161)']);
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
});
