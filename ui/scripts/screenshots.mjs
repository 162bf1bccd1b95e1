// Screenshots of every screen at 360×640 (device pixel ratio 2) with the mocked backend, into
// docs/screenshots/*.png. Run `npm run screenshots` in ui/ (it builds the mock bundle first).
// Needs /usr/bin/chromium (or $CHROMIUM) and fonts-noto-cjk for the Chinese text.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview } from 'vite';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '..');
const out = resolve(root, '../docs/screenshots');
mkdirSync(out, { recursive: true });

const HH = (n) => `01930000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`;

const server = await preview({
  root,
  configFile: false,
  base: './',
  logLevel: 'warn',
  build: { outDir: 'dist-mock' },
  preview: { host: '127.0.0.1', port: 0, open: false },
});
const base = server.resolvedUrls.local[0];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

async function settle(page) {
  await page.evaluate(() => document.fonts.ready);
  await page.waitForTimeout(450); // Vant's transitions
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** A made-up "photo" drawn in the page (no image library needed). */
async function fakePhoto(page, hue) {
  const b64 = await page.evaluate((h) => {
    const c = document.createElement('canvas');
    c.width = 480;
    c.height = 360;
    const g = c.getContext('2d');
    const sky = g.createLinearGradient(0, 0, 0, 360);
    sky.addColorStop(0, `hsl(${h}, 60%, 75%)`);
    sky.addColorStop(1, `hsl(${h + 40}, 40%, 55%)`);
    g.fillStyle = sky;
    g.fillRect(0, 0, 480, 360);
    g.fillStyle = '#8d6e63';
    g.fillRect(140, 170, 200, 140);
    g.fillStyle = '#5d4037';
    g.beginPath();
    g.moveTo(120, 175);
    g.lineTo(240, 90);
    g.lineTo(360, 175);
    g.fill();
    g.fillStyle = '#ffe082';
    g.fillRect(220, 230, 40, 80);
    return c.toDataURL('image/jpeg', 0.8).split(',')[1];
  }, hue);
  return Buffer.from(b64, 'base64');
}

const shots = [
  { name: '01-enrol', route: '/enrol', scenario: { session: { enrolled: false, unlocked: false } }, act: async (p) => {
    await p.locator('input[name=server_url]').fill('https://bangfu.xinfeng.gov.cn');
    await p.locator('input[name=username]').fill('zhangli');
    await p.locator('input[name=password]').fill('password');
  } },
  { name: '02-unlock', route: '/unlock', scenario: { session: { unlocked: false } } },
  { name: '03-tasks', route: '/tasks' },
  { name: '04-households', route: '/households', act: async (p) => p.locator('[data-test=household]').first().waitFor() },
  { name: '05-household', route: `/households/${HH(1)}`, act: async (p) => {
    await p.locator('[data-test=timeline-entry]').first().waitFor();
    // The visit's thumbnails: two on this phone, one a placeholder (offline, not kept here).
    await p.locator('[data-test=timeline-photo][data-state=loaded]').nth(1).waitFor();
    await p.locator('[data-test=timeline-photo][data-state=failed]').waitFor();
  } },
  { name: '06-household-members', route: `/households/${HH(1)}`, act: async (p) => {
    await p.getByRole('tab', { name: '家庭成员' }).click();
    await p.locator('[data-test=member]').first().waitFor();
  } },
  { name: '07-visit-checks', route: `/households/${HH(2)}/visit`, act: async (p) => {
    await p.locator('[data-test=next]').click();
    for (const i of ['education', 'medical', 'housing']) await p.locator(`[data-test=check-${i}-ok]`).click();
    await p.locator('[data-test=check-water-risk]').click();
    await p.locator('[data-test=check-water-note] textarea').fill('水井干涸，靠邻居送水');
    await p.locator('[data-test=check-water]').scrollIntoViewIfNeeded();
  } },
  { name: '08-visit-photos', route: `/households/${HH(2)}/visit`, act: async (p) => {
    await p.locator('[data-test=step-present]').waitFor();
    for (let i = 0; i < 5; i++) await p.locator('[data-test=next]').click();
    const input = p.locator('[data-test=photo-input] input[type=file]');
    await input.setInputFiles({ name: 'a.jpg', mimeType: 'image/jpeg', buffer: await fakePhoto(p, 200) });
    await p.locator('[data-test=photo]').first().waitFor();
    await input.setInputFiles({ name: 'b.jpg', mimeType: 'image/jpeg', buffer: await fakePhoto(p, 90) });
    await p.locator('[data-test=photo]').nth(1).waitFor();
  } },
  { name: '09-visit-signature', route: `/households/${HH(2)}/visit`, act: async (p) => {
    await p.locator('[data-test=step-present]').waitFor();
    for (let i = 0; i < 6; i++) await p.locator('[data-test=next]').click();
    const box = await p.locator('[data-test=signature-pad]').boundingBox();
    const stroke = async (pts) => {
      await p.mouse.move(box.x + pts[0][0], box.y + pts[0][1]);
      await p.mouse.down();
      for (const [x, y] of pts.slice(1)) await p.mouse.move(box.x + x, box.y + y, { steps: 4 });
      await p.mouse.up();
    };
    await stroke([[60, 60], [120, 60], [90, 40], [90, 150]]);
    await stroke([[60, 100], [120, 100]]);
    await stroke([[160, 50], [220, 50], [190, 50], [190, 150], [160, 150], [230, 150]]);
    await stroke([[250, 70], [300, 140], [280, 60], [320, 130]]);
  } },
  { name: '10-visit-refused', route: `/households/${HH(3)}/visit`, act: async (p) => {
    await p.locator('[data-test=step-present]').waitFor();
    await p.locator('[data-test=next]').click();
    for (const i of ['education', 'medical', 'housing']) await p.locator(`[data-test=check-${i}-ok]`).click();
    await p.locator('[data-test=check-water-risk]').click();
    for (let i = 1; i < 7; i++) await p.locator('[data-test=next]').click();
    await p.locator('[data-test=finish]').click();
    await p.locator('[data-test=error]').waitFor();
  } },
  { name: '11-contact', route: `/households/${HH(1)}/contact`, act: async (p) => {
    await p.locator('[data-test=contact-note] textarea').fill('电话询问户主病情，提醒按时复诊');
  } },
  { name: '12-income', route: `/households/${HH(1)}/income?quarter=2025-Q4`, act: async (p) => {
    await p.locator('[data-test=item-0] input').fill('1200');
    await p.locator('[data-test=item-9] input').fill('450');
    await p.locator('[data-test=warning]').first().waitFor();
    await p.locator('[data-test=totals]').scrollIntoViewIfNeeded();
  } },
  { name: '13-sync', route: '/sync' },
  { name: '14-sync-offline', route: '/sync', scenario: { syncFailure: 'offline' }, act: async (p) => {
    await p.locator('[data-test=sync-now]').click();
    await p.locator('[data-test=sync-failure]').waitFor();
    await p.locator('[data-test=sync-failure]').scrollIntoViewIfNeeded();
  } },
  { name: '15-evaluation', route: `/households/${HH(4)}/evaluation?quarter=2025-Q3`, act: async (p) => {
    await p.locator('[data-test=evaluation-state]').waitFor();
  } },
  { name: '16-evaluation-criteria', route: `/households/${HH(4)}/evaluation?quarter=2025-Q3`, act: async (p) => {
    await p.locator('[data-test=outcome-propose_elimination]').click();
    await p.locator('[data-test=evaluation-save]').click();
    await p.locator('[data-test=outcome-error]').waitFor();
    await p.locator('[data-test=outcome-error]').scrollIntoViewIfNeeded();
  } },
  { name: '17-village', route: '/village', scenario: { secretary: true }, act: async (p) => {
    await p.locator('[data-test=cadre]').first().waitFor();
  } },
  { name: '18-tasks-by-cadre', route: '/tasks', scenario: { secretary: true }, act: async (p) => {
    await p.locator('[data-test=task-filter] .van-tab', { hasText: '按干部' }).click();
    await p.locator('[data-test=task]').first().waitFor();
  } },
  { name: '19-sign', route: `/households/${HH(6)}/sign`, act: async (p) => {
    await p.locator('[data-test=sign]').waitFor();
  } },
  { name: '20-arrange', route: `/households/${HH(10)}/arrange`, scenario: { firstSecretary: true }, act: async (p) => {
    await p.locator('[data-test=cadre]').first().waitFor();
  } },
  { name: '21-visit-correction', route: `/households/${HH(1)}/visit?corrects=v1`, act: async (p) => {
    await p.locator('[data-test=visit]').waitFor();
  } },
  { name: '22-contact-time', route: `/households/${HH(1)}/contact`, act: async (p) => {
    await p.locator('[data-test=contact-at]').click();
    await p.locator('[data-test=datetime-picker]').waitFor();
  } },
];

for (const shot of shots) {
  const context = await browser.newContext({
    viewport: { width: 360, height: 640 },
    deviceScaleFactor: 2,
    hasTouch: false,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  await page.addInitScript((s) => {
    window.__BANGFU_MOCK__ = s;
  }, shot.scenario ?? {});
  await page.goto(`${base}#${shot.route}`);
  await page.locator('.van-nav-bar').first().waitFor();
  await settle(page);
  if (shot.act) await shot.act(page);
  await settle(page);
  const file = resolve(out, `${shot.name}.png`);
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide' });
  console.log(`wrote ${file}`);
  await context.close();
}

await browser.close();
await server.close();
