import { describe, expect, test } from 'vitest';
import { expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

describe('同步 (sync)', () => {
  test('what is waiting, the last sync; a sync shows progress then the result', async () => {
    const page = await open('/sync');
    await page.locator('[data-test=pending]').waitFor();
    const rows = await page.locator('[data-test=pending-row]').allTextContents();
    expect(rows.join()).toContain('走访记录3');
    await expect(page.textContent('[data-test=photos-waiting]')).resolves.toContain('7 张（2.2 MB）');
    await expect(page.textContent('[data-test=photos-waiting]')).resolves.toContain('照片在记录之后上传');
    await expect(page.textContent('[data-test=last-ok]')).resolves.toContain('2025年12月18日 17:41 同步成功');
    await page.locator('[data-test=sync-now]').click();
    await page.locator('[data-test=progress] .van-progress').waitFor();
    await page.locator('[data-test=progress]').getByText(/正在上传记录|正在下载记录|正在上传照片/).first().waitFor();
    await page.locator('[data-test=sync-done]').getByText('同步完成：上传 5 条，下载 40 条').waitFor();
    await expect(page.textContent('[data-test=pending]')).resolves.toContain('没有待同步的记录');
    expectNoPageErrors(page);
  });

  test('a phone whose clock is wrong is told what to do; records stamped in the future are counted', async () => {
    const page = await open('/sync', { clockWrong: true });
    await page.locator('[data-test=sync-now]').click();
    const warning = page.locator('[data-test=clock-warning]');
    await warning.waitFor();
    await expect(warning.textContent()).resolves.toContain('手机时间不准');
    await expect(warning.textContent()).resolves.toContain('设为自动');
    await expect(page.textContent('[data-test=future-received]')).resolves.toContain('收到 2 条时间异常的记录');
    expectNoPageErrors(page);
  });

  test('offline: the failure in plain words, what to do, and retry', async () => {
    const page = await open('/sync', { syncFailure: 'offline' });
    await page.locator('[data-test=sync-now]').click();
    const failure = page.locator('[data-test=sync-failure][data-code=offline]');
    await failure.waitFor();
    await expect(failure.textContent()).resolves.toContain('无法连接服务器（没有网络或信号太弱）。已录入的数据都保存在手机上，不会丢失。');
    await expect(failure.textContent()).resolves.toContain('怎么办：请检查网络（手机信号或 Wi-Fi）和服务器地址后重试。');
    await failure.locator('[data-test=retry]').click();
    await page.locator('[data-test=sync-failure][data-code=offline]').waitFor();
  });

  test('the server refuses: the login expired (401), no permission (403)', async () => {
    const page = await open('/sync', { syncFailure: 'unauthorized' });
    await page.locator('[data-test=sync-now]').click();
    await page.locator('[data-test=sync-failure][data-code=unauthorized]').getByText('联网用账号和密码重新登录').waitFor();
    const forbidden = await open('/sync', { syncFailure: 'forbidden' });
    await forbidden.locator('[data-test=sync-now]').click();
    await forbidden.locator('[data-test=sync-failure][data-code=forbidden]').getByText('核对您的账号和结对关系').waitFor();
  });

  test('a full disk while receiving records', async () => {
    const page = await open('/sync', { syncFailure: 'disk_full' });
    await page.locator('[data-test=sync-now]').click();
    await page.locator('[data-test=sync-failure][data-code=disk_full]').getByText('腾出空间后重试').waitFor();
  });

  test('records the server refused are listed with what to do', async () => {
    const page = await open('/sync', {
      syncStatus: { rejected: [{ entity: 'visit', code: 'visitor_not_cadre', message: '一条走访记录被服务器拒绝（原因代码：visitor_not_cadre）。记录仍保存在手机上；请打开该户核对，新增一条更正记录。' }] },
    });
    await page.locator('[data-test=rejected]').getByText('记录仍保存在手机上；请打开该户核对').waitFor();
  });

  test('lock: back to the PIN', async () => {
    const page = await open('/sync');
    await page.locator('[data-test=lock]').click();
    await page.locator('[data-test=unlock]').waitFor();
  });
});
