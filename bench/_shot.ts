import { chromium } from 'playwright-core';

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
for (const width of [1280, 390]) {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  await page.goto('http://localhost:3111/dashboard?token=local-dev-token');
  await page.screenshot({ path: `/tmp/dash-${width}.png`, fullPage: true });
  console.log(width, await page.evaluate(() => [document.documentElement.scrollWidth, document.body.scrollHeight]));
  await page.close();
}
await browser.close();
