// Fixtures of the mocked backend (component tests, screenshots): a cadre of 油山镇 with a few
// households. Shapes are the generated bindings, so a change of a Rust DTO breaks this file at
// type-check time.
import type {
  AlertItem,
  AppError,
  EvaluationForm,
  HouseholdDetail,
  HouseholdRow,
  PairingCandidates,
  Session,
  SyncStatus,
  Task,
  TimelineEntry,
  VillageOverview,
} from '../bindings';

export const TODAY = '2025-12-20';
export const PIN = '246810';
/** What the app says with a plain-HTTP server address (bangfu_sync_client::server_url). */
export const PLAIN_HTTP_WARNING =
  '未加密连接，仅限内网使用。账号、密码和农户信息在网络上以明文传输，请只在乡镇或县里的内部网络中使用；在其他网络中请改用 https:// 地址。';

export const hid = (n: number) => `01930000-0000-7000-8000-0000000000${String(n).padStart(2, '0')}`;

export const session = (over: Partial<Session> = {}): Session => ({
  enrolled: true,
  unlocked: true,
  account: { username: 'zhangli', display_name: '张丽', role: 'cadre', person_id: '01930000-0000-7000-8000-00000000aaaa' },
  server_url: 'https://bangfu.xinfeng.gov.cn',
  server_url_warning: null,
  device_id: '01930000-0000-7000-8000-00000000dddd',
  pin_wait_s: null,
  has_data: true,
  today: TODAY,
  ...over,
});

const names = ['刘德明', '陈桂英', '黄志强', '曾秀兰', '钟国华', '谢春梅', '赖建平', '郭玉珍', '廖长生', '邱美华', '温发财', '罗小燕'];

export const households: HouseholdRow[] = names.map((head_name, i) => ({
  id: hid(i + 1),
  head_name,
  village_name: i < 7 ? '上乐村' : '坪石村',
  group: `${(i % 5) + 1}组`,
  class: i % 3 === 0 ? 'monitored' : 'lifted',
  kind: i % 3 === 0 ? (['unstable_lifted', 'marginal', 'sudden_hardship'] as const)[i % 3 === 0 ? (i / 3) % 3 : 0] : null,
  risks: i % 3 === 0 ? (i === 0 ? ['illness', 'lack_of_labour'] : ['schooling']) : [],
  last_visit_on: i === 4 ? null : i % 4 === 1 ? `2025-06-${String(10 + i).padStart(2, '0')}` : `2025-${String(10 + (i % 3)).padStart(2, '0')}-${String(3 + i).padStart(2, '0')}`,
  next_due_on: i % 4 === 1 ? '2025-09-30' : '2025-12-31',
  next_due_overdue: i % 4 === 1,
  unsynced: i === 2 ? 2 : 0,
  has_draft: i === 0,
}));

const task = (over: Partial<Task> & Pick<Task, 'key' | 'rule' | 'kind' | 'status' | 'what' | 'by_when' | 'due_on'>): Task => ({
  household_id: hid(1),
  household_name: '刘德明',
  village_name: '上乐村',
  period: '2025-Q4',
  opens_on: '2025-10-01',
  days_left: 11,
  owner_name: null,
  owner_id: null,
  mine: true,
  ...over,
});

export const tasks: Task[] = [
  task({
    key: 'R3:2:2025-Q3',
    rule: 'R3',
    kind: 'visit',
    status: 'overdue',
    household_id: hid(2),
    household_name: '陈桂英',
    period: '2025-Q3',
    due_on: '2025-09-30',
    days_left: -81,
    what: '上门走访脱贫户陈桂英户，核查“两不愁三保障”和饮水安全（2025年第三季度）',
    by_when: '已逾期 81 天（应于9月30日前完成）',
  }),
  task({
    key: 'R2:1:2025-Q4',
    rule: 'R2',
    kind: 'visit',
    status: 'open',
    due_on: '2025-12-31',
    what: '上门走访监测对象刘德明户，核查“两不愁三保障”和饮水安全（2025年第四季度）',
    by_when: '12月31日前完成（还剩 11 天）',
  }),
  task({
    key: 'R7:6:2025-12-15',
    rule: 'R7',
    kind: 'replace_sign',
    status: 'open',
    household_id: hid(6),
    household_name: '谢春梅',
    period: '2025-12-15',
    due_on: '2025-12-24',
    days_left: 4,
    what: '更换谢春梅户门口的联系牌（结对变更后 7 个工作日内）',
    by_when: '12月24日前完成（还剩 4 天）',
  }),
  task({
    key: 'D3:1:2025-Q4',
    rule: 'D3',
    kind: 'income',
    status: 'upcoming',
    opens_on: '2025-12-25',
    due_on: '2026-01-05',
    days_left: 16,
    what: '采集刘德明户2025年第四季度收入（采集期 12月25日至2026年1月5日）',
    by_when: '12月25日开始，2026年1月5日前完成',
  }),
  task({
    key: 'D5:1:2025-Q4',
    rule: 'D5',
    kind: 'evaluation',
    status: 'upcoming',
    opens_on: '2025-12-25',
    due_on: '2026-01-31',
    days_left: 42,
    what: '完成刘德明户2025年第四季度帮扶成效评估',
    by_when: '12月25日开始，2026年1月31日前完成',
  }),
];

/** The first secretary of 上乐村 (scenario `secretary`). */
export const SECRETARY = '01930000-0000-7000-8000-00000000bbbb';
export const CADRE_WANG = '01930000-0000-7000-8000-00000000c001';
export const CADRE_ZHOU = '01930000-0000-7000-8000-00000000c002';

/** What the first secretary sees besides her own tasks: her village's cadres' and a unit's. */
export const othersTasks: Task[] = [
  task({
    key: 'R3:3:2025-Q3',
    rule: 'R3',
    kind: 'visit',
    status: 'overdue',
    household_id: hid(3),
    household_name: '黄志强',
    period: '2025-Q3',
    due_on: '2025-09-30',
    days_left: -81,
    what: '上门走访脱贫户黄志强户，核查“两不愁三保障”和饮水安全（2025年第三季度）',
    by_when: '已逾期 81 天（应于9月30日前完成）',
    owner_name: '王建华',
    owner_id: CADRE_WANG,
    mine: false,
  }),
  task({
    key: 'R3:5:2025-Q4',
    rule: 'R3',
    kind: 'visit',
    status: 'open',
    household_id: hid(5),
    household_name: '钟国华',
    due_on: '2025-12-31',
    what: '上门走访脱贫户钟国华户，核查“两不愁三保障”和饮水安全（2025年第四季度）',
    by_when: '12月31日前完成（还剩 11 天）',
    owner_name: '周敏',
    owner_id: CADRE_ZHOU,
    mine: false,
  }),
  task({
    key: 'W4:unit:2025-Q4',
    rule: 'W4',
    kind: 'ledger',
    status: 'open',
    household_id: null,
    household_name: null,
    village_name: null,
    due_on: '2025-12-31',
    what: '县财政局报送2025年第四季度帮扶台账',
    by_when: '12月31日前完成（还剩 11 天）',
    owner_name: '县财政局（帮扶干部空缺）',
    owner_id: null,
    mine: false,
  }),
];

/** 村情 of the first secretary's village. */
export const village: VillageOverview = {
  as_of: TODAY,
  quarter: '2025年第四季度',
  villages: [
    {
      village_id: '01930000-0000-7000-8000-0000000000a1',
      village_name: '上乐村',
      township_name: '油山镇',
      households: 7,
      monitored: 3,
      without_cadre: 1,
      cadres: [
        { person_id: CADRE_WANG, name: '王建华', unit_name: '县财政局', households: 3, owed: 2, overdue: 1, done: 4, me: false },
        { person_id: CADRE_ZHOU, name: '周敏', unit_name: '县财政局', households: 2, owed: 1, overdue: 0, done: 3, me: false },
        { person_id: SECRETARY, name: '李书记', unit_name: '县财政局', households: 0, owed: 5, overdue: 0, done: 9, me: true },
      ],
    },
  ],
};

export const alerts: AlertItem[] = [
  {
    key: 'D2:risk_found:4:2025-12-02:Water',
    rule: 'D2',
    kind: 'risk_found',
    item: 'water',
    household_id: hid(4),
    household_name: '曾秀兰',
    village_name: '上乐村',
    raised_on: '2025-12-02',
    what: '走访发现饮水安全有风险',
    what_to_do: '已报告村和乡镇。请跟进帮助消除风险；下次走访时核实该项是否已有保障。',
    visit_id: null,
  },
  {
    key: 'D3:income_drop_quarter:7:2025-10-03',
    rule: 'D3',
    kind: 'income_drop_quarter',
    item: null,
    household_id: hid(7),
    household_name: '赖建平',
    village_name: '上乐村',
    raised_on: '2025-10-03',
    what: '2025年第三季度纯收入比上季度下降 42%',
    what_to_do: '请核实下降原因（疾病、灾害、务工中断等），及时报告村和乡镇。',
    visit_id: null,
  },
];

/** W2 (scenario `implausibleVisit`): the timeline's visit recorded by a phone a decade ahead. */
export const IMPLAUSIBLE_AT = '2035-10-03T10:20:00+08:00';
export const implausibleAlert: AlertItem = {
  key: 'W2:implausible_visit_date:1:2025-12-20',
  rule: 'W2',
  kind: 'implausible_visit_date',
  item: null,
  household_id: hid(1),
  household_name: '刘德明',
  village_name: '上乐村',
  raised_on: TODAY,
  what: '走访日期 2035-10-03 不可能（手机时间可能有误）',
  what_to_do: '请点此打开这次走访并“更正”，改正走访日期并写明更正原因。',
  visit_id: 'v1',
};

/**
 * The photos of the timeline's visit, named by the SHA-256 of their bytes as the app names them:
 * three small PNG drawings (120×80: a house, a field with a water tank, a kitchen). The house and
 * the field are on this phone; the kitchen was taken on another phone and this one is offline,
 * so `photo_bytes` refuses it (see `MockScenario.unreachablePhotos`).
 */
export const PHOTO_HOUSE = '5be021d08f4a01f46b9df5cd60c04bda133ed4a0988ee7887a2aa9d1121dfd91';
export const PHOTO_FIELD = 'e06ee3522f12bfdeb5e66622f566c4685e59059317d47102d42c8c844d030056';
export const PHOTO_KITCHEN = '959b572de01f3ff5996ee60a6820c239ea7a00e191de6d2a743499ebf4248cd6';
/** The household head's signature (not shown in the timeline, only stated). */
export const SIGNATURE = '54f2ce2863cd9dd07ef66d13439ce0d2e077f70614b20c83d6a2552c707badce';

const PNG_BASE64: Record<string, string> = {
  [PHOTO_HOUSE]:
    'iVBORw0KGgoAAAANSUhEUgAAAHgAAABQCAMAAADlRUG7AAAAGFBMVEWWyPBallCqglrr4c2gPDJuSy14qtL6+vraI2oUAAAAuUlEQVR42u3S0Q7CIAxAUXBV/v+P50xQ1FGBdNTovVn2QEjPxhYCEf1QKV2vfJsKF+5k+eEmL3c27POR//DnIvqqZMuJnU9LmRM7j5a9nNjjadFyYo+jpSUn1p6WnpxYO1pGcmKN3nrpz+asgYG74WgCX8oa4a3weY8lfCNjTnswQ/jOxbLKpkFYnfcMF/jr8hCszHuHKw3DlYbgcw4YWINPjenwbuo8YGBgYGB72DpgYGBgYGBgf3gFniA1gOt4iQAAAAAASUVORK5CYII=',
  [PHOTO_FIELD]:
    'iVBORw0KGgoAAAANSUhEUgAAAHgAAABQCAMAAADlRUG7AAAAElBMVEWq0utGgjx4WjzIyMg8ZJbwyDyMA3jwAAAAeklEQVR42u3UMQ7AIAwEQUjw/7+cIhWSS+wDvFsjTaTI1xpRiUyj/qncdNlMJJeDzTaQ+ceX3rFuuZZs9fDK+HLg++HXCxgYOAruEbnw/AQ4D34icuH5CXABmDsGZrlWBZwHd1HABWDuGJjlAma5uGNglguY5QI+F/4ABh4qemA9fcUAAAAASUVORK5CYII=',
  [PHOTO_KITCHEN]:
    'iVBORw0KGgoAAAANSUhEUgAAAHgAAABQCAMAAADlRUG7AAAAElBMVEXr6+HIyL5aWl/IUCg8PDy0lm5IA5XNAAAAeUlEQVR42u3UywqAIABFQe3x/7/cMopQRE2FOasW0SzMG+KgQgx3fz6DwWDwirCtBoPBYFttq9eCj3RgMHgQXFIG7rfVzrgfvD3LwK+3G8JltYb3r8Dgmf7qZFVwzVZPdY/B4NnhM1kVnPwyGAwGg8HLwf0Cg8HrwxeuHD8thvoWFwAAAABJRU5ErkJggg==',
};

/** The bytes of a fixture photo (a fresh copy), or `undefined` for an unknown hash. */
export function photoFile(sha256: string): Uint8Array | undefined {
  const b64 = PNG_BASE64[sha256];
  return b64 === undefined ? undefined : Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

const timeline: TimelineEntry[] = [
  {
    type: 'visit',
    id: 'v1',
    day: '2025-10-03',
    at: '2025-10-03T10:20:00+08:00',
    visitor_name: '张丽',
    risks: [{ item: 'medical', note: '户主慢性病未办理慢病卡' }],
    policy_talk: ['医疗保障（医保、大病保险、慢病、家庭医生）政策'],
    tidy: true,
    problems: '户主高血压，需长期服药',
    measures: '协助申请慢病卡，联系家庭医生签约',
    photos: [PHOTO_HOUSE, PHOTO_FIELD, PHOTO_KITCHEN],
    signature: SIGNATURE,
    corrected: false,
    corrected_by: null,
    corrects: null,
    correction_reason: null,
    can_correct: true,
  },
  {
    type: 'income',
    id: 'i1',
    day: '2025-09-27',
    period: '2025-Q3',
    net_fen: 612000,
    net_per_capita_fen: 204000,
    household_size: 3,
    collector_name: '张丽',
    corrected: false,
  },
  {
    type: 'contact',
    id: 'c1',
    day: '2025-09-12',
    at: '2025-09-12T19:05:00+08:00',
    channel: 'phone',
    person_name: '张丽',
    note: '电话询问户主病情，提醒按时复诊',
    corrected: false,
  },
  {
    type: 'evaluation',
    id: 'e1',
    day: '2025-07-20',
    period: '2025-Q2',
    outcome: 'continue',
    income_above_line: true,
    guarantees_consolidated: true,
    risk_eliminated: false,
    note: '收入稳定，健康风险仍在',
    corrected: false,
  },
  {
    type: 'measure',
    id: 'm1',
    day: '2025-05-10',
    kind: 'health',
    status: 'in_progress',
    description: '家庭医生签约服务，每月随访',
  },
];

export function householdDetail(id: string): HouseholdDetail | null {
  const row = households.find((h) => h.id === id);
  if (!row) return null;
  return {
    profile: {
      id,
      head_name: row.head_name,
      village_name: row.village_name,
      township_name: '油山镇',
      group: row.group,
      address: `信丰县油山镇${row.village_name}${row.group}`,
      phone: '13807976621',
      class: row.class,
      kind: row.kind,
      class_history: [
        { from: '2021-01-01', class: 'lifted', kind: null },
        ...(row.class === 'monitored' ? [{ from: '2024-06-15', class: 'monitored' as const, kind: row.kind }] : []),
      ],
      risks: row.risks,
    },
    members: [
      { id: 'm-a', name: row.head_name, relation: '户主', id_number_masked: '360722********0031', labour: 'weak', school_stage: 'not_in_school', medical_insurance: 'resident' },
      { id: 'm-b', name: '王秀珍', relation: '配偶', id_number_masked: '360722********0046', labour: 'able', school_stage: 'not_in_school', medical_insurance: 'resident' },
      { id: 'm-c', name: `${row.head_name.slice(0, 1)}子涵`, relation: '之子', id_number_masked: '360722********0015', labour: 'none', school_stage: 'junior_secondary', medical_insurance: 'resident' },
    ],
    pairings: [
      { id: 'p1', cadre_name: '李建国', unit_name: '县教育局', start: '2021-03-01', end: '2024-02-29', end_reason: 'department_change', active: false },
      { id: 'p2', cadre_name: '张丽', unit_name: '县人社局', start: '2024-03-01', end: null, end_reason: null, active: true },
    ],
    open_tasks: tasks.filter((t) => t.household_id === id),
    timeline,
    unsynced: row.unsynced,
    draft_id: row.has_draft ? `draft-${id}` : null,
  };
}

export const syncStatus = (over: Partial<SyncStatus> = {}): SyncStatus => ({
  pending_ops: 5,
  pending: [
    { entity: 'contact', count: 1 },
    { entity: 'income_record', count: 1 },
    { entity: 'visit', count: 3 },
  ],
  photos_waiting: 7,
  photos_waiting_bytes: 2_350_000,
  last_sync: {
    started_at: '2025-12-18T17:40:00+08:00',
    finished_at: '2025-12-18T17:41:12+08:00',
    ok: true,
    pushed: 12,
    pulled: 40,
    rejected: [],
    photos_uploaded: 9,
    photos_failed: 0,
    failure: null,
    clock_warning: null,
    future_received: 0,
  },
  last_success_at: '2025-12-18T17:41:12+08:00',
  rejected: [],
  conflicts: 0,
  server_url: 'https://bangfu.xinfeng.gov.cn',
  ...over,
});

/** Errors as the Rust side answers them (the texts of bangfu-app's AppError). */
export const errors = {
  diskFull: (): AppError => ({
    code: 'disk_full',
    message: '手机存储空间已满，刚才的内容没有保存。请删除一些不用的照片、视频或应用，腾出空间后重试；已保存的内容不会丢失。',
    retry_after_s: null,
    fields: [],
  }),
  badCredentials: (): AppError => ({ code: 'auth_bad_credentials', message: '账号或密码不正确。请核对后重新输入。', retry_after_s: null, fields: [] }),
  forbidden: (): AppError => ({ code: 'auth_device_revoked', message: '这台手机已被管理员停用。请联系管理员后重新登录。', retry_after_s: null, fields: [] }),
  offline: (): AppError => ({ code: 'offline', message: '无法连接服务器（没有网络或信号太弱）。请检查网络（手机信号或 Wi-Fi）和服务器地址后重试。', retry_after_s: null, fields: [] }),
  noData: (): AppError => ({ code: 'no_data', message: '本机还没有您的帮扶数据。请连接网络后点“同步”下载。', retry_after_s: null, fields: [] }),
  notFound: (): AppError => ({ code: 'not_found', message: '找不到这条记录，可能已被删除或还没有同步到本机。请先同步后再试。', retry_after_s: null, fields: [] }),
  invalid: (fields: AppError['fields']): AppError => ({
    code: 'invalid',
    message: `有 ${fields.length} 处填写有误，未保存：${fields.slice(0, 3).map((f) => f.message).join('；')}`,
    retry_after_s: null,
    fields,
  }),
};

/** An overdue D5 task (`MockScenario.evaluationTask`): 曾秀兰户, a monitored household, 2025-Q3. */
export const evaluationTask: Task = task({
  key: `D5:${hid(4)}:2025-Q3`,
  rule: 'D5',
  kind: 'evaluation',
  status: 'overdue',
  household_id: hid(4),
  household_name: '曾秀兰',
  period: '2025-Q3',
  opens_on: '2025-09-25',
  due_on: '2025-10-31',
  days_left: -50,
  what: '完成曾秀兰户2025年第三季度帮扶成效评估',
  by_when: '已逾期 50 天（应于10月31日前完成）',
});

/**
 * The evaluation form as the app pre-fills it (see bangfu_app::evaluation): income of the four
 * quarters ending with `quarter` against the 7500-yuan line, the latest visit's checks, risks
 * with the measures of the plan. 2025-Q4 opens on Dec 25 (after the mock's today); earlier
 * quarters are overdue unless evaluated.
 */
export function evaluationForm(householdId: string, quarter: string, evaluated: { on: string; outcome: EvaluationForm['suggested_outcome']; note: string; answers: [boolean, boolean, boolean] } | null): EvaluationForm | null {
  const row = households.find((h) => h.id === householdId);
  if (!row) return null;
  const [year, q] = quarter.split('-Q').map(Number);
  const quarters: string[] = [];
  for (let i = 3; i >= 0; i--) {
    const n = q - i;
    quarters.push(n > 0 ? `${year}-Q${n}` : `${year - 1}-Q${n + 4}`);
  }
  const collected: Record<string, [number, number]> = {
    '2024-Q4': [540000, 3],
    '2025-Q1': [585000, 3],
    '2025-Q2': [660000, 3],
    '2025-Q3': [612000, 3],
  };
  const rows = quarters.map((x) => {
    const c = collected[x];
    return {
      quarter: x,
      collected_on: c ? `${x.slice(0, 4)}-${['03-27', '06-27', '09-27', '12-27'][Number(x.slice(6)) - 1]}` : null,
      net_fen: c ? c[0] : null,
      net_per_capita_fen: c ? Math.trunc(c[0] / c[1]) : null,
      household_size: c ? c[1] : null,
    };
  });
  const counted = rows.filter((r) => r.net_fen !== null);
  const size = [...counted].reverse()[0]?.household_size ?? 0;
  const annualised = counted.length && size ? Math.trunc((counted.reduce((a, r) => a + (r.net_fen ?? 0), 0) * 4) / (counted.length * size)) : null;
  const upcoming = quarter >= '2025-Q4';
  const due: Record<number, string> = { 1: '04-30', 2: '07-31', 3: '10-31', 4: '01-31' };
  return {
    household_id: householdId,
    head_name: row.head_name,
    class: row.class,
    kind: row.kind,
    quarter,
    opens_on: `${year}-${['03-25', '06-25', '09-25', '12-25'][q - 1]}`,
    due_on: `${q === 4 ? year + 1 : year}-${due[q]}`,
    state: evaluated ? 'done' : upcoming ? 'upcoming' : 'overdue',
    income: {
      quarters: rows,
      annualised_per_capita_fen: annualised,
      quarters_counted: counted.length,
      line_yuan: 7500,
      line_year: year,
    },
    checks: {
      visit_id: 'v1',
      visited_on: '2025-10-03',
      visitor_name: '张丽',
      checks: [
        { item: 'education', status: 'ok', note: '' },
        { item: 'medical', status: 'risk', note: '户主慢性病未办理慢病卡' },
        { item: 'housing', status: 'ok', note: '' },
        { item: 'water', status: 'ok', note: '' },
      ],
    },
    risks: row.risks.map((risk) => ({
      risk,
      measures:
        risk === 'schooling'
          ? [{ id: 'm2', kind: 'education', status: 'in_progress', started_on: '2025-03-01', description: '落实雨露计划助学补助' }]
          : [{ id: 'm1', kind: 'health', status: 'in_progress', started_on: '2025-05-10', description: '家庭医生签约服务，每月随访' }],
    })),
    other_measures: [],
    criteria: [
      {
        criterion: 'income_above_line',
        suggested: true,
        evidence: `近四个季度采集了 ${counted.length} 个季度，人均纯收入按年折算 ${annualised !== null ? Math.trunc(annualised / 100).toLocaleString('zh-CN') : 0} 元，不低于${year}年监测范围 7500 元。`,
      },
      { criterion: 'guarantees_consolidated', suggested: false, evidence: '最近一次走访（10月3日，张丽）发现基本医疗有风险。' },
      { criterion: 'risk_eliminated', suggested: false, evidence: '因学的措施（教育帮扶）还在实施中；走访发现的基本医疗风险尚未消除。' },
    ],
    suggested_outcome: 'strengthen',
    existing: evaluated
      ? {
          id: `evaluation-${householdId}-${quarter}`,
          evaluated_on: evaluated.on,
          evaluator_name: '张丽',
          income_above_line: evaluated.answers[0],
          guarantees_consolidated: evaluated.answers[1],
          risk_eliminated: evaluated.answers[2],
          outcome: evaluated.outcome,
          note: evaluated.note,
        }
      : null,
    max_note_chars: 500,
  };
}
/** R7: the household whose contact sign is owed (the `R7:6` task), and its new pairing. */
export const SIGN_HH = hid(6);
export const signPairing = {
  pairing_id: '01930000-0000-7000-8000-0000000f0006',
  cadre_name: '张丽',
  start: '2025-12-15',
  due_on: '2025-12-24',
  overdue: false,
};

/** R6: a household of 坪石村 newly monitored with no cadre (the first secretary's scenario). */
export const ARRANGE_HH = hid(10);

export const arrangeTask: Task = task({
  key: 'R6:10:2025-12-16',
  rule: 'R6',
  kind: 'arrange_pairing',
  status: 'open',
  household_id: ARRANGE_HH,
  household_name: '邱美华',
  village_name: '坪石村',
  period: '2025-12-16',
  opens_on: '2025-12-16',
  due_on: '2025-12-30',
  days_left: 10,
  what: '为新纳入的监测对象邱美华户安排结对帮扶干部',
  by_when: '12月30日前完成（还剩 10 天）',
});

export const noCadreAlert: AlertItem = {
  key: 'R6:no_cadre:10:2025-12-16',
  rule: 'R6',
  kind: 'no_cadre',
  item: null,
  household_id: ARRANGE_HH,
  household_name: '邱美华',
  village_name: '坪石村',
  visit_id: null,
  raised_on: '2025-12-16',
  what: '监测对象自 2025-12-16 起没有结对帮扶干部',
  what_to_do: '请第一书记或驻村工作队员按程序尽快安排结对帮扶干部。',
};

/** The cadres of the units assisting 坪石村 (by unit, fewest households first). */
export const candidates: PairingCandidates = {
  household_id: ARRANGE_HH,
  head_name: '邱美华',
  village_name: '坪石村',
  today: TODAY,
  earliest_start: '2025-12-13',
  latest_start: '2026-01-19',
  cadres: [
    { person_id: '01930000-0000-7000-8000-0000000c0001', name: '钟文斌', unit_name: '县农业农村局', post_title: '副局长', households: 3 },
    { person_id: '01930000-0000-7000-8000-0000000c0002', name: '刘晓红', unit_name: '县农业农村局', post_title: '办公室主任', households: 4 },
    { person_id: '01930000-0000-7000-8000-0000000c0003', name: '王志刚', unit_name: '县人社局', post_title: null, households: 2 },
  ],
};

/** The R7 task the arranged cadre owes (the first secretary sees it with its owner). */
export const arrangedSignTask = (cadreName: string, start: string): Task =>
  task({
    key: `R7:10:${start}`,
    rule: 'R7',
    kind: 'replace_sign',
    status: 'open',
    household_id: ARRANGE_HH,
    household_name: '邱美华',
    village_name: '坪石村',
    period: start,
    opens_on: start,
    due_on: '2025-12-31',
    days_left: 11,
    what: '更换邱美华户门口的联系牌（结对变更后 7 个工作日内）',
    by_when: '12月31日前完成（还剩 11 天）',
    owner_name: cadreName,
    mine: false,
  });
