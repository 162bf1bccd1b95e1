import { describe, expect, test } from 'vitest';
import { callsOf, expectNoPageErrors, open, typePin, useBrowser } from './helpers';

useBrowser();

async function fillEnrol(page: import('playwright-core').Page, url: string, user: string, password: string, pin = '246810') {
  await page.locator('input[name=server_url]').fill(url);
  await page.locator('input[name=username]').fill(user);
  await page.locator('input[name=password]').fill(password);
  await page.locator('input[name=pin]').fill(pin);
  await page.locator('input[name=pin2]').fill(pin);
  await page.locator('[data-test=enrol-submit]').click();
}

describe('登录 (enrol)', () => {
  test('a device not enrolled goes to the enrol screen; success lands on the tasks', async () => {
    const page = await open('/tasks', { session: { enrolled: false, unlocked: false } });
    await page.locator('[data-test=enrol]').waitFor();
    await expect(page.textContent('body')).resolves.toContain('首次使用需要联网登录');
    await fillEnrol(page, 'https://bangfu.xinfeng.gov.cn', 'zhangli', 'right');
    await page.locator('[data-test=tasks]').waitFor();
    const [call] = await callsOf(page, 'enrol');
    expect(call.args.req).toMatchObject({ server_url: 'https://bangfu.xinfeng.gov.cn', username: 'zhangli', pin: '246810' });
    expectNoPageErrors(page);
  });

  test('a bad server address is shown at the field, with an example', async () => {
    const page = await open('/enrol', { session: { enrolled: false, unlocked: false } });
    await fillEnrol(page, 'bangfu.xinfeng', 'zhangli', 'right');
    await page.getByText('服务器地址不正确。请填写以 http:// 或 https:// 开头的完整地址').waitFor();
  });

  test('plain http: refused to the internet, warned about on the township LAN', async () => {
    const page = await open('/enrol', { session: { enrolled: false, unlocked: false } });
    await fillEnrol(page, 'http://bangfu.xinfeng.gov.cn', 'zhangli', 'right');
    await page.getByText('请改用以 https:// 开头的地址').waitFor();
    await expect(callsOf(page, 'enrol')).resolves.toHaveLength(1);

    const lan = await open('/enrol', {
      session: {
        enrolled: false,
        unlocked: false,
        server_url: 'http://192.168.1.20:8080',
        server_url_warning: '未加密连接，仅限内网使用。请只在乡镇或县里的内部网络中使用。',
      },
    });
    await lan.locator('[data-test=server-url-warning]').getByText('未加密连接，仅限内网使用').waitFor();
    // The warning belongs to that address: another one typed, it goes.
    await lan.locator('input[name=server_url]').fill('https://bangfu.xinfeng.gov.cn');
    await lan.locator('[data-test=server-url-warning]').waitFor({ state: 'detached' });

    const unlock = await open('/unlock', {
      session: { unlocked: false, server_url: 'http://192.168.1.20:8080', server_url_warning: '未加密连接，仅限内网使用。' },
    });
    await unlock.locator('[data-test=server-url-warning]').getByText('未加密连接，仅限内网使用').waitFor();
    expectNoPageErrors(unlock);
  });

  test('the two PINs must match before anything is sent', async () => {
    const page = await open('/enrol', { session: { enrolled: false, unlocked: false } });
    await page.locator('input[name=pin]').fill('246810');
    await page.locator('input[name=pin2]').fill('246811');
    await page.getByText('两次输入的 PIN 码不一致').waitFor();
    await expect(page.locator('[data-test=enrol-submit]').isDisabled()).resolves.toBe(true);
  });

  test('the server refuses: wrong password (401) and a revoked device (403)', async () => {
    const page = await open('/enrol', { session: { enrolled: false, unlocked: false } });
    await fillEnrol(page, 'https://bangfu.xinfeng.gov.cn', 'zhangli', 'wrong');
    await page.locator('[data-test=error][data-code=auth_bad_credentials]').waitFor();
    await expect(page.textContent('[data-test=error]')).resolves.toContain('账号或密码不正确。请核对后重新输入。');

    const refused = await open('/enrol', {
      session: { enrolled: false, unlocked: false },
      fail: { enrol: { code: 'auth_device_revoked', message: '这台手机已被管理员停用。请联系管理员后重新登录。', retry_after_s: null, fields: [] } },
    });
    await fillEnrol(refused, 'https://bangfu.xinfeng.gov.cn', 'zhangli', 'right');
    await refused.locator('[data-test=error][data-code=auth_device_revoked]').getByText('已被管理员停用').waitFor();
  });

  test('offline: says to check the network', async () => {
    const page = await open('/enrol', {
      session: { enrolled: false, unlocked: false },
      fail: { enrol: { code: 'offline', message: '无法连接服务器（没有网络或信号太弱）。请检查网络（手机信号或 Wi-Fi）和服务器地址后重试。', retry_after_s: null, fields: [] } },
    });
    await fillEnrol(page, 'https://bangfu.xinfeng.gov.cn', 'zhangli', 'right');
    await page.locator('[data-test=error][data-code=offline]').getByText('请检查网络').waitFor();
  });
});

describe('PIN 解锁 (unlock)', () => {
  test('a locked app asks for the PIN and then shows where the user was going', async () => {
    const page = await open('/households', { session: { unlocked: false } });
    await page.locator('[data-test=unlock]').waitFor();
    await expect(page.textContent('body')).resolves.toContain('张丽，您好');
    await typePin(page, '246810');
    await page.locator('[data-test=households]').waitFor();
    expectNoPageErrors(page);
  });

  test('wrong PINs say how many tries are left, then make the user wait', async () => {
    const page = await open('/unlock', { session: { unlocked: false } });
    await page.locator('[data-test=pin-keyboard]').waitFor();
    await typePin(page, '000000');
    await page.getByText('PIN 码不正确。请重新输入。再错 4 次').waitFor();
    for (let i = 0; i < 4; i++) await typePin(page, '000000');
    await page.locator('[data-test=pin-wait]').getByText(/请等待 \d+ 秒后再试/).waitFor();
    await page.locator('[data-test=error][data-code=pin_locked]').waitFor();
    await expect(page.locator('[data-test=pin-keyboard] .van-number-keyboard').isVisible()).resolves.toBe(false);
  });

  test('on a laptop: the keyboard types the PIN, and the mouse works the keypad', async () => {
    const page = await open('/unlock', { session: { unlocked: false } }, { desktop: true });
    await page.locator('[data-test=pin-keyboard]').waitFor();
    await page.locator('.van-number-keyboard .van-key', { hasText: /^2$/ }).first().click();
    await page.keyboard.type('46810');
    await page.locator('[data-test=tasks]').waitFor();
  });
});
