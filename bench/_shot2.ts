import { chromium } from 'playwright-core';

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
const width = Number(process.argv[2] ?? 1280);
const page = await browser.newPage({ viewport: { width, height: 1400 } });
await page.goto('http://localhost:3111/dashboard?token=local-dev-token');
const total = await page.evaluate(() => document.body.scrollHeight);
for (let y = 0, i = 0; y < total; y += 1400, i += 1) {
  await page.screenshot({ path: `/tmp/d${width}-${i}.png`, clip: { x: 0, y, width, height: Math.min(1400, total - y) }, fullPage: true });
}
console.log(total);
await browser.close();
