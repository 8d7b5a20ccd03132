// Opens one account's QBR pack in headless Chromium (Debian's chromium, driven by playwright-core: no browser
// download), keeps a screenshot, and prints the figures a reader sees as one JSON object.
// Usage: node qbr-check.mjs <config.json>   (url: the pack's address with its function key, screenshot: a .png path)
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { chromium } from 'playwright-core';

const { url, screenshot } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
mkdirSync(dirname(screenshot), { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium' });
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
  const response = await page.goto(url);
  const seen = await page.evaluate(() => {
    const text = s => document.querySelector(s)?.textContent?.trim() ?? null;
    const points = document.querySelector('#health polyline')?.getAttribute('points')?.trim().split(/\s+/) ?? [];
    return {
      title: document.title,
      score: Number(text('[data-test=score]')),
      band: document.querySelector('#health [class^=band-]')?.textContent?.trim() ?? null,
      trendPoints: points.length,
      lastPointY: points.length ? Number(points.at(-1).split(',')[1]) : null,
      drivers: [...document.querySelectorAll('#drivers li[data-dimension]')].map(li => li.dataset.dimension),
      active30: Number(text('[data-test=active30]')),
      tickets: text('[data-test=tickets]'),
      milestones: [...document.querySelectorAll('#milestones tr[data-milestone]')].map(r => ({ name: r.dataset.milestone, reached: r.querySelector('td').textContent.startsWith('reached') })),
      risks: document.querySelectorAll('#risks li:not(.muted)').length,
      nextSteps: document.querySelectorAll('#next-steps li').length,
    };
  });
  seen.status = response.status();
  await page.screenshot({ path: screenshot, fullPage: true });
  seen.screenshot = screenshot;
  process.stdout.write(JSON.stringify(seen) + '\n');
} finally {
  await browser.close();
}
