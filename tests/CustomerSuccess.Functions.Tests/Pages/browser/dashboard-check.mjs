// Opens every dashboard page in headless Chromium (Debian's chromium, driven by playwright-core: no browser download)
// and prints what a person would see as one JSON object, which DashboardBrowserTests checks against the seeded data.
// Usage: node dashboard-check.mjs <config.json>   (baseUrl, key, user, csm, accounts {red, yellow, redNoRenewal}, screenshots)
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { baseUrl, key, user, csm, accounts, screenshots } = config;
const enc = encodeURIComponent;
const pages = {
  portfolio: `${baseUrl}/api/dashboard?csm=${enc(csm)}`,
  account: `${baseUrl}/api/dashboard/accounts/${enc(accounts.red)}`,
  myDay: `${baseUrl}/api/dashboard/my-day?csm=${enc(csm)}`,
  alerts: `${baseUrl}/api/dashboard/alerts?csm=${enc(csm)}`,
  renewals: `${baseUrl}/api/dashboard/renewals`,
  qbr: `${baseUrl}/api/accounts/${enc(accounts.red)}/qbr?code=${enc(key)}`,
};
const widths = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } };
mkdirSync(screenshots, { recursive: true });

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' });
const seen = { screenshots: [], overflow: {} };
try {
  const desktop = await browser.newContext({ viewport: widths.desktop });
  const page = await desktop.newPage();
  const scripts = [];
  page.on('request', r => { if (r.resourceType() === 'script' || r.resourceType() === 'font' || r.resourceType() === 'stylesheet') scripts.push(r.url()); });

  // Not signed in: the page sends the browser to the sign-in form; the JSON twin answers 401.
  await page.goto(pages.portfolio);
  await page.waitForSelector('input[name=code]', { timeout: 15000 }).catch(() => {});
  seen.unauthenticated = { url: page.url(), keyFields: await page.locator('input[name=code]').count() };
  const json = await desktop.request.get(`${baseUrl}/api/dashboard`, { headers: { Accept: 'application/json' }, maxRedirects: 0 });
  seen.unauthenticatedJsonStatus = json.status();

  // Sign in once with the function key; the cookie keeps the user signed in.
  await page.fill('input[name=user]', user);
  await page.fill('input[name=code]', key);
  await Promise.all([page.waitForURL(u => !u.pathname.includes('/signin')), page.click('button.primary')]);
  seen.afterSignIn = page.url();
  seen.cookies = (await desktop.cookies()).filter(c => c.name === 'cs-dashboard').map(c => ({ httpOnly: c.httpOnly, sameSite: c.sameSite }));

  seen.portfolio = await page.evaluate(() => {
    const num = el => el ? Number(el.textContent.trim()) : null;
    const bands = {};
    for (const row of document.querySelectorAll('#bands tbody tr')) {
      bands[row.dataset.segment] = Object.fromEntries([...row.querySelectorAll('td[data-band]')].map(td => [td.dataset.band, num(td)]));
    }
    const bars = [...document.querySelectorAll('svg[data-chart=bands] rect')].map(r => ({ segment: r.dataset.segment, band: r.dataset.band, count: Number(r.dataset.count), width: Number(r.getAttribute('width')) }));
    const tiers = {};
    for (const row of document.querySelectorAll('#open-alerts tbody tr')) {
      tiers[row.dataset.tier] = Object.fromEntries([...row.querySelectorAll('td[data-sla]')].map(td => [td.dataset.sla, num(td)]));
    }
    const renewals = Object.fromEntries([...document.querySelectorAll('#renewals .card')].map(c => [c.dataset.band, num(c.querySelector('b'))]));
    const atRisk = [...document.querySelectorAll('#at-risk tbody tr')].map(r => ({ account: r.dataset.account, score: num(r.querySelector('[data-score]')) }));
    const trend = [...document.querySelectorAll('svg[data-chart=trend] g[data-day]')].map(g => ({ day: g.dataset.day, red: Number(g.dataset.red), yellow: Number(g.dataset.yellow), green: Number(g.dataset.green), columns: g.querySelectorAll('rect').length }));
    return { bands, bars, tiers, renewals, atRisk, trend };
  });

  await page.goto(pages.myDay);
  seen.myDay = await page.$$eval('#my-day tbody tr', rows => rows.map(r => ({ account: r.dataset.account, reason: r.dataset.reason })));

  await page.goto(pages.alerts);
  seen.alerts = await page.$$eval('#alerts tbody tr', rows => rows.map(r => ({ account: r.dataset.account, rule: r.dataset.rule, sla: r.querySelector('[data-sla]').dataset.sla })));

  await page.goto(pages.renewals);
  seen.renewals = await page.$$eval('#renewals tbody tr', rows => rows.map(r => ({ account: r.dataset.account, category: r.dataset.category })));
  await page.goto(pages.qbr);
  seen.qbr = await page.evaluate(() => ({
    score: document.querySelector('[data-test=score]')?.textContent,
    drivers: document.querySelectorAll('#drivers li').length,
    nextSteps: document.querySelectorAll('#next-steps li').length,
  }));
  const qbrJson = await page.request.get(`${pages.qbr}&format=json`);
  seen.qbrJsonScore = (await qbrJson.json()).health.score;

  await page.goto(pages.account);
  seen.account = await page.evaluate(() => ({
    score: Number(document.querySelector('[data-test=score]').textContent),
    chartPoints: document.querySelectorAll('svg[data-chart=score] circle').length,
    lastPoint: Number([...document.querySelectorAll('svg[data-chart=score] circle')].at(-1)?.dataset.score),
    dimensions: document.querySelectorAll('#dimensions tbody tr').length,
    linkedIds: [...document.querySelectorAll('#linked-ids tbody tr')].map(r => ({ kind: r.dataset.kind, id: r.querySelector('code').textContent })),
    recentEvents: [...document.querySelectorAll('#recent-events tbody tr')].map(r => ({ provider: r.dataset.provider, kind: r.children[2].textContent })),
  }));

  // Screenshots before anything changes, at both widths, and whether the page is wider than the screen.
  const phone = await browser.newContext({ viewport: widths.phone, storageState: await desktop.storageState() });
  for (const [width, context] of [['desktop', desktop], ['phone', phone]]) {
    const p = width === 'desktop' ? page : await phone.newPage();
    for (const [name, url] of Object.entries(pages)) {
      await p.goto(url);
      const file = join(screenshots, `${name}-${width}.png`);
      await p.screenshot({ path: file, fullPage: true });
      seen.screenshots.push(file);
      seen.overflow[`${name}-${width}`] = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    }
  }

  // A playbook step done with one click on the account page, back at its task.
  await page.goto(pages.account);
  const task = '#task-health-band-1';
  await Promise.all([page.waitForURL(/#task-health-band-1$/), page.click(`${task} li[data-step="1"] [data-test=complete-step]`)]);
  seen.afterStepDone = {
    states: await page.$$eval(`${task} li[data-step]`, steps => steps.map(s => s.dataset.state)),
    first: await page.textContent(`${task} li[data-step="1"]`),
    buttons: await page.locator(`${task} [data-test=complete-step]`).count(),
  };

  // Acknowledge, then resolve, one click each from the account page.
  await page.goto(pages.account);
  const row = '#alert-health-band';
  await Promise.all([page.waitForURL(/#alert-health-band$/), page.click(`${row} [data-test=acknowledge]`)]);
  seen.afterAcknowledge = { status: await page.getAttribute(`#open ${row}`, 'data-status'), text: await page.textContent(`#open ${row}`) };
  await page.goto(pages.account);
  await Promise.all([page.waitForNavigation(), page.click(`${row} [data-test=resolve]`)]);
  seen.afterResolve = { open: await page.locator(`#open ${row}`).count(), past: await page.locator(`#past tr[data-rule=health-band]`).textContent() };

  // A forged post: the user's cookie goes along, but no anti-forgery token.
  const forged = await desktop.request.post(`${baseUrl}/api/dashboard/accounts/${enc(accounts.yellow)}/alerts/support-escalation/acknowledge`, { form: { returnUrl: '/api/dashboard' }, maxRedirects: 0 });
  seen.forgedStatus = forged.status();

  // Resolve from the alerts list.
  await page.goto(pages.alerts);
  await Promise.all([page.waitForNavigation(), page.click(`#alerts tr[data-account="${accounts.yellow}"] [data-test=resolve]`)]);
  seen.alertsAfterResolve = await page.$$eval('#alerts tbody tr', rows => rows.map(r => r.dataset.account));
  seen.externalRequests = scripts.filter(u => !u.startsWith(baseUrl));
  seen.scriptRequests = scripts.length;
} finally {
  await browser.close();
}

process.stdout.write(JSON.stringify(seen) + '\n');
