import { describe, expect, test } from 'vitest';
import { HH, callsOf, expectNoPageErrors, open, useBrowser } from './helpers';

useBrowser();

describe('帮扶成效评估 (D5)', () => {
  test('d5 a task opens the form with the evidence; confirmed and saved, the task is done', async () => {
    const page = await open('/tasks', { evaluationTask: true });
    const task = page.locator('[data-test=task]', { hasText: '完成曾秀兰户2025年第三季度帮扶成效评估' });
    await task.click();
    await page.waitForURL(/#\/households\/[^/]+\/evaluation\?quarter=2025-Q3$/);
    await page.locator('[data-test=evaluation-state][data-state=overdue]').waitFor();
    const text = () => page.textContent('[data-test=evaluation]');
    // The evidence: four quarters against the line, the latest visit's checks, risks and measures.
    await expect(text()).resolves.toContain('2025 年监测范围：7500 元/人·年');
    expect(await page.locator('[data-test=income-quarter]').count()).toBe(4);
    await expect(page.textContent('[data-test=annualised]')).resolves.toContain('7,990 元');
    await expect(page.textContent('[data-test=checks-evidence]')).resolves.toContain('户主慢性病未办理慢病卡');
    await expect(page.textContent('[data-test=risks-evidence]')).resolves.toContain('教育帮扶（实施中）');
    // Each criterion with its suggestion and evidence.
    await expect(page.textContent('[data-test=criterion-income_above_line]')).resolves.toContain('系统建议：是');
    await expect(page.textContent('[data-test=criterion-guarantees_consolidated]')).resolves.toContain('发现基本医疗有风险');
    // The suggested outcome is chosen; the cadre confirms the suggestions and picks "continue".
    expect(await page.locator('[data-test=outcome-strengthen] .van-radio__icon--checked').count()).toBe(1);
    await page.locator('[data-test=outcome-continue]').click();
    await page.locator('[data-test=evaluation-note] textarea').fill('收入稳定，医疗风险仍在跟进');
    await page.locator('[data-test=evaluation-save]').click();
    await page.locator('[data-test=tasks]').waitFor();
    const [save] = await callsOf(page, 'evaluation_save');
    expect(save.args.req).toEqual({
      household_id: HH(4),
      quarter: '2025-Q3',
      income_above_line: true,
      guarantees_consolidated: false,
      risk_eliminated: false,
      outcome: 'continue',
      note: '收入稳定，医疗风险仍在跟进',
    });
    // Back on the task list, the evaluation is no longer owed.
    await page.locator('[data-test=task]').first().waitFor();
    expect(await page.locator('[data-test=task]', { hasText: '曾秀兰户2025年第三季度帮扶成效评估' }).count()).toBe(0);
    await expect(page.locator('[data-test=count-overdue]').textContent()).resolves.toBe('1');
    expectNoPageErrors(page);
  });

  test('d5 proposing elimination without all three criteria is refused at the outcome; a correction then saves', async () => {
    const page = await open(`/households/${HH(4)}/evaluation?quarter=2025-Q3`);
    await page.locator('[data-test=evaluation-state]').waitFor();
    await page.locator('[data-test=outcome-propose_elimination]').click();
    await page.locator('[data-test=elimination-note]').getByText('提出风险消除须三项评估结论都为“是”').waitFor();
    await page.locator('[data-test=evaluation-save]').click();
    await page.locator('[data-test=outcome-error]').getByText('尚未确认：“三保障”及饮水安全持续巩固、风险稳定消除').waitFor();
    await page.locator('[data-test=error][data-code=invalid]').waitFor();
    await expect(page.locator('[data-test=evaluation]').isVisible()).resolves.toBe(true);
    // The cadre corrects the two suggestions: marked as corrected; the proposal is then recorded.
    await page.locator('[data-test=criterion-guarantees_consolidated] [data-test=switch]').click();
    await page.locator('[data-test=criterion-risk_eliminated] [data-test=switch]').click();
    expect(await page.locator('[data-test=corrected]').count()).toBe(2);
    await page.locator('[data-test=elimination-note]').getByText('户的类别现在不变').waitFor();
    await page.locator('[data-test=evaluation-save]').click();
    await page.locator('[data-test=household]').waitFor();
    const saves = await callsOf(page, 'evaluation_save');
    expect(saves).toHaveLength(2);
    expect(saves[1].args.req.outcome).toBe('propose_elimination');
    expect([saves[1].args.req.income_above_line, saves[1].args.req.guarantees_consolidated, saves[1].args.req.risk_eliminated]).toEqual([true, true, true]);
  });

  test('d5 a quarter not yet open is shown read-only; the household page offers the evaluation to a monitored household only', async () => {
    const page = await open('/tasks');
    await page.locator('[data-test=task]', { hasText: '刘德明户2025年第四季度帮扶成效评估' }).click();
    await page.waitForURL(/#\/households\/[^/]+\/evaluation\?quarter=2025-Q4$/);
    await page.locator('[data-test=evaluation-state][data-state=upcoming]').waitFor();
    await page.locator('[data-test=upcoming-note]').getByText('12月25日').waitFor();
    await expect(page.locator('[data-test=evaluation-save]').isDisabled()).resolves.toBe(true);

    const monitored = await open(`/households/${HH(1)}`);
    await monitored.locator('[data-test=start-evaluation]').click();
    await monitored.waitForURL(/#\/households\/[^/]+\/evaluation$/);
    await monitored.locator('[data-test=evaluation-state]').waitFor();
    const lifted = await open(`/households/${HH(2)}`);
    await lifted.locator('[data-test=start-income]').waitFor();
    expect(await lifted.locator('[data-test=start-evaluation]').count()).toBe(0);
  });
});
