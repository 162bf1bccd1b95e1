import { describe, expect, test } from 'vitest';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

describe('我的帮扶户', () => {
  test('lists households with class, risks, last visit, next due and badges', async () => {
    const page = await open('/households');
    await page.locator('[data-test=household]').first().waitFor();
    await expect(page.locator('[data-test=household]').count()).resolves.toBe(12);
    await expect(page.textContent('[data-test=total]')).resolves.toBe('共 12 户');
    const first = await page.locator('[data-test=household]').first().textContent();
    expect(first).toContain('刘德明户');
    expect(first).toContain('脱贫不稳定户');
    expect(first).toContain('因病');
    expect(first).toContain('上次走访：');
    expect(first).toContain('走访未完成');
    await expect(page.locator('[data-test=unsynced]').first().textContent()).resolves.toContain('2 条未同步');
    // A past due date is marked.
    await expect(page.locator('[data-test=next-due].danger').count()).resolves.toBeGreaterThan(0);
    expectNoPageErrors(page);
  });

  test('search asks the app (SQL), from the first page', async () => {
    const page = await open('/households');
    await page.locator('[data-test=household]').first().waitFor();
    await page.locator('[data-test=search] input').fill('坪石');
    await page.locator('[data-test=search] input').press('Enter');
    await page.getByText('共 5 户').waitFor();
    const last = (await callsOf(page, 'my_households')).at(-1)!;
    expect(last.args.req).toEqual({ search: '坪石', page: 0, page_size: 20 });
    await page.locator('[data-test=search] input').fill('没有这个人');
    await page.locator('[data-test=search] input').press('Enter');
    await page.getByText('没有找到帮扶户').waitFor();
  });

  test('a failure is shown with a retry', async () => {
    const page = await open('/households', {
      fail: { my_households: { code: 'database_corrupt', message: '手机上的数据库文件损坏。请不要删除应用，联系县里的系统管理员。', retry_after_s: null, fields: [] } },
    });
    await page.locator('[data-test=error][data-code=database_corrupt]').waitFor();
    await expect(page.getByRole('button', { name: '重试' }).isVisible()).resolves.toBe(true);
  });

  test('a row opens the household page', async () => {
    const page = await open('/households');
    await page.locator('[data-test=household]').nth(2).click();
    await page.waitForURL(new RegExp(`#/households/${HH(3)}$`));
    await page.locator('[data-test=profile]').waitFor();
  });
});

describe('农户页面 (household page)', () => {
  test('profile, one timeline, members with masked ID numbers, pairing history, open tasks', async () => {
    const page = await open(`/households/${HH(1)}`);
    await page.locator('[data-test=profile]').waitFor();
    const profile = await page.textContent('[data-test=profile]');
    expect(profile).toContain('刘德明户');
    expect(profile).toContain('油山镇 上乐村');
    const types = await page.locator('[data-test=timeline-entry]').evaluateAll((els) => els.map((e) => e.getAttribute('data-type')));
    expect(types).toEqual(['visit', 'income', 'contact', 'evaluation', 'measure']);
    await expect(page.textContent('[data-test=timeline-entry]')).resolves.toContain('发现风险：基本医疗');
    await page.getByRole('tab', { name: '家庭成员' }).click();
    const ids = await page.locator('[data-test=id-number]').allTextContents();
    expect(ids.length).toBe(3);
    for (const id of ids) expect(id).toMatch(/身份证号：\d{6}\*{8}\d{3}[\dX]/);
    await page.getByRole('tab', { name: '结对' }).click();
    await expect(page.locator('[data-test=pairing]').count()).resolves.toBe(2);
    await expect(page.textContent('body')).resolves.toContain('工作部门变动');
    await page.getByRole('tab', { name: '待办' }).click();
    await expect(page.locator('[data-test=open-task]').count()).resolves.toBeGreaterThan(0);
    // A draft is open: the button continues it.
    await expect(page.textContent('[data-test=start-visit]')).resolves.toContain('继续走访');
    expectNoPageErrors(page);
  });

  test('a household not on this phone', async () => {
    const page = await open('/households/unknown');
    await page.locator('[data-test=error][data-code=not_found]').getByText('请先同步后再试').waitFor();
  });
  test("the household's phone is masked until tapped, then dials", async () => {
    const page = await open(`/households/${HH(1)}`);
    const phone = page.locator('[data-test=phone]');
    await phone.waitFor();
    await expect(phone.textContent()).resolves.toContain('138****6621');
    await expect(phone.textContent()).resolves.not.toContain('13807976621');
    await expect(page.locator('[data-test=phone-dial]').count()).resolves.toBe(0);
    await phone.click();
    await expect(page.locator('[data-test=phone]').textContent()).resolves.toContain('13807976621');
    await expect(page.locator('[data-test=phone-dial]').getAttribute('href')).resolves.toBe('tel:13807976621');
  });
});
