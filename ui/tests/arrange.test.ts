import { describe, expect, test } from 'vitest';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

const ARRANGE_TASK = '为新纳入的监测对象邱美华户安排结对帮扶干部';

describe('安排结对帮扶干部 (R6)', () => {
  test('r6: from the task list to done; the new cadre owes the R7 sign', async () => {
    const page = await open('/tasks', { firstSecretary: true });
    await page.locator('[data-test=task]', { hasText: ARRANGE_TASK }).click();
    await page.waitForURL(/#\/households\/[^/]+\/arrange$/);
    await page.locator('[data-test=arrange]').waitFor();
    await expect(page.locator('[data-test=arrange-household]').textContent()).resolves.toBe('邱美华户 · 坪石村');
    const cadres = page.locator('[data-test=cadre]');
    await expect(cadres.count()).resolves.toBe(3);
    await expect(page.locator('[data-test=arrange] .van-cell-group__title').allTextContents()).resolves.toEqual(['县农业农村局', '县人社局']);
    await expect(cadres.nth(1).textContent()).resolves.toContain('刘晓红（办公室主任）');
    await expect(cadres.nth(1).textContent()).resolves.toContain('现结对 4 户');
    await cadres.nth(1).click();
    await page.locator('[data-test=arrange-save]').click();
    await page.locator('[data-test=tasks]').waitFor();
    // The sign is the cadre's task, not hers: it shows under 全部.
    await page.locator('[data-test=task-filter] .van-tab', { hasText: '全部' }).click();
    await page.locator('[data-test=task]', { hasText: '更换邱美华户门口的联系牌' }).waitFor();
    await expect(page.locator('[data-test=task]', { hasText: ARRANGE_TASK }).count()).resolves.toBe(0);
    const sign = page.locator('[data-test=task]', { hasText: '更换邱美华户门口的联系牌' });
    await expect(sign.textContent()).resolves.toContain('责任人：刘晓红');
    await expect(page.locator('[data-test=alert]', { hasText: '没有结对帮扶干部' }).count()).resolves.toBe(0);
    const [call] = await callsOf(page, 'arrange_pairing');
    expect(call.args.req).toEqual({ household_id: HH(10), cadre_id: '01930000-0000-7000-8000-0000000c0002', start: '2025-12-20' });
    expectNoPageErrors(page);
  });

  test('r6: the no_cadre alert and the household page open the arranging screen', async () => {
    const page = await open('/tasks', { firstSecretary: true });
    await page.locator('[data-test=alert]', { hasText: '没有结对帮扶干部' }).click();
    await page.locator('[data-test=arrange]').waitFor();
    const hh = await open(`/households/${HH(10)}`, { firstSecretary: true });
    await hh.locator('[data-test=start-arrange]').click();
    await hh.locator('[data-test=arrange]').waitFor();
  });

  test('r6: saving without a cadre asks for one; nothing is sent', async () => {
    const page = await open(`/households/${HH(10)}/arrange`, { firstSecretary: true });
    await page.locator('[data-test=arrange-save]').click();
    await expect(page.locator('[data-test=cadre-error]').textContent()).resolves.toBe('请先选择一名帮扶干部。');
    await expect(callsOf(page, 'arrange_pairing')).resolves.toEqual([]);
  });

  test('r6: a cadre refused by the app is shown at its field', async () => {
    const message = '所选人员不是本村帮扶单位的帮扶干部。请从列表中选择本村帮扶单位的干部。';
    const page = await open(`/households/${HH(10)}/arrange`, {
      firstSecretary: true,
      fail: {
        arrange_pairing: {
          code: 'invalid',
          message: `有 1 处填写有误，未保存：${message}`,
          retry_after_s: null,
          fields: [{ field: 'cadre_id', code: 'not_assisting_unit', message }],
        },
      },
    });
    await page.locator('[data-test=cadre]').first().click();
    await page.locator('[data-test=arrange-save]').click();
    await expect(page.locator('[data-test=cadre-error]').textContent()).resolves.toBe(message);
    await expect(page.locator('[data-test=arrange]').isVisible()).resolves.toBe(true);
  });

  test('r6: a cadre cannot arrange: the screen says who can', async () => {
    const page = await open(`/households/${HH(10)}/arrange`);
    await page.getByText('只有本村第一书记或驻村工作队员可以安排结对帮扶干部。').waitFor();
    await expect(page.locator('[data-test=cadre]').count()).resolves.toBe(0);
    const hh = await open(`/households/${HH(10)}`);
    await hh.locator('[data-test=start-visit]').waitFor();
    await expect(hh.locator('[data-test=start-arrange]').count()).resolves.toBe(0);
  });
});
