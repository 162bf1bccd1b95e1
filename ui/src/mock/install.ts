// The mocked backend of the `mock` build: `mockIPC` from @tauri-apps/api/mocks answers every
// command from the fixtures, with a little behaviour (drafts, PIN, validation) so that flows can
// be driven end to end. A test sets `window.__BANGFU_MOCK__` (before the page loads) to choose
// the situation, and reads `window.__BANGFU_CALLS__` to see what the UI sent.
import { mockIPC } from '@tauri-apps/api/mocks';
import type {
  AppError,
  ErrorCode,
  ContactInput,
  DraftRef,
  EnrolRequest,
  EvaluationFormQuery,
  EvaluationInput,
  FieldError,
  HouseholdQuery,
  IncomeFormQuery,
  IncomeInput,
  IncomePreview,
  PhotoQuery,
  Session,
  SyncProgress,
  SyncReport,
  SyncStatus,
  TimelineEntry,
  UnlockRequest,
  VisitDraft,
  SignFormQuery,
  SignInput,
  PairingCandidatesQuery,
  ArrangeInput,
} from '../bindings';
import * as data from './data';

export interface MockScenario {
  /** Session fields to start from (e.g. `{ enrolled: false }`, `{ unlocked: false }`). */
  session?: Partial<Session>;
  /** Commands that reject with the given error. */
  fail?: Record<string, AppError>;
  /** `sync_now` ends with this failure code (`offline`, `unauthorized`, …). */
  syncFailure?: ErrorCode;
  /** A sync that finds this phone's clock wrong and receives records stamped in the future. */
  clockWrong?: boolean;
  /** `sync_status` answers with these fields. */
  syncStatus?: Partial<SyncStatus>;
  /** No tasks, no alerts. */
  noTasks?: boolean;
  /** The income form's window state. */
  incomeWindow?: 'upcoming' | 'open' | 'overdue' | 'collected';
  /**
   * Photos that `photo_bytes` refuses as `offline` (not on this phone, no network); default:
   * the timeline visit's third photo (`data.PHOTO_KITCHEN`). Read at each call, so a test can
   * change it on the page (`window.__BANGFU_MOCK__.unreachablePhotos = []`: back online).
   */
  unreachablePhotos?: string[];
  /** The timeline visit's photos instead of the fixture's three (unknown hashes: `not_found`). */
  visitPhotos?: string[];
  /** `photo_bytes` answers after this many milliseconds (to watch how many are asked at once). */
  photoDelayMs?: number;
  /** Signed in as the first secretary of 上乐村: her village's tasks too, and 村情. */
  secretary?: boolean;
  /** The task list also holds an overdue D5 evaluation (曾秀兰户, 2025-Q3). */
  evaluationTask?: boolean;
  /** W2: the timeline's visit is dated 2035 and a W2 alert asks to correct it. */
  implausibleVisit?: boolean;
  /** Signed in as 坪石村's first secretary: an R6 task and a `no_cadre` alert to arrange. */
  firstSecretary?: boolean;
}

declare global {
  interface Window {
    __BANGFU_MOCK__?: MockScenario;
    __BANGFU_CALLS__?: { cmd: string; args: unknown }[];
    /** The most `photo_bytes` calls unanswered at one time. */
    __BANGFU_PHOTOS_IN_FLIGHT_MAX__?: number;
  }
}

const SYNC_FAILURES: Record<string, [string, string]> = {
  offline: ['无法连接服务器（没有网络或信号太弱）。', '请检查网络（手机信号或 Wi-Fi）和服务器地址后重试。'],
  unauthorized: [
    '登录已失效（账号或这台手机的授权已过期或被收回）。',
    '请到“我的”里退出后，联网用账号和密码重新登录。',
  ],
  forbidden: ['服务器拒绝：您的账号或这台手机没有使用这些数据的权限。', '请联系乡镇或县里的管理员核对您的账号和结对关系。'],
  disk_full: ['手机存储空间已满，刚才的内容没有保存。', '请删除一些不用的照片、视频或应用，腾出空间后重试；已保存的内容不会丢失。'],
};

function field(field: string, code: string, message: string): FieldError {
  return { field, code, message };
}

function hex(n: number): string {
  let s = '';
  let x = n;
  for (let i = 0; i < 64; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    s += (x % 16).toString(16);
  }
  return s;
}

export function installMock() {
  const scenario: MockScenario = window.__BANGFU_MOCK__ ?? {};
  const calls: { cmd: string; args: unknown }[] = [];
  window.__BANGFU_CALLS__ = calls;
  let session = data.session(
    scenario.secretary
      ? {
          account: { username: 'lishuji', display_name: '李书记', role: 'first_secretary', person_id: data.SECRETARY },
          ...scenario.session,
        }
      : scenario.session,
  );
  // Tasks and alerts change as signs are recorded and cadres arranged.
  let tasks = scenario.noTasks ? [] : [...(scenario.firstSecretary ? [data.arrangeTask] : []), ...data.tasks];
  let alerts = scenario.noTasks ? [] : [...(scenario.firstSecretary ? [data.noCadreAlert] : []), ...data.alerts];
  if (scenario.firstSecretary) {
    session = { ...session, account: { username: 'chenfang', display_name: '陈芳', role: 'first_secretary', person_id: '01930000-0000-7000-8000-00000000bbbb' } };
  }
  let signRecorded = false;
  let arranged: { name: string; start: string } | null = null;
  let wrongPins = 0;
  const drafts = new Map<string, VisitDraft>();
  const photos = new Map<string, Uint8Array>();
  let photoSeed = 1;
  let status = data.syncStatus(scenario.syncStatus);
  let photosInFlight = 0;
  window.__BANGFU_PHOTOS_IN_FLIGHT_MAX__ = 0;
  // D5 evaluations saved here, by `household:quarter`: their tasks are done.
  const evaluations = new Map<string, { on: string; outcome: EvaluationInput['outcome']; note: string; answers: [boolean, boolean, boolean] }>();
  const allTasks = () =>
    [
      ...tasks,
      ...(scenario.evaluationTask ? [data.evaluationTask] : []),
      ...(scenario.secretary ? data.othersTasks : []),
    ].filter(
      (t) => !(t.kind === 'evaluation' && evaluations.has(`${t.household_id}:${t.period}`)),
    );

  async function photoBytes(sha: string): Promise<ArrayBuffer> {
    photosInFlight += 1;
    window.__BANGFU_PHOTOS_IN_FLIGHT_MAX__ = Math.max(window.__BANGFU_PHOTOS_IN_FLIGHT_MAX__ ?? 0, photosInFlight);
    try {
      if (scenario.photoDelayMs) await new Promise((r) => setTimeout(r, scenario.photoDelayMs));
      // Like the app: this phone's file, else the server's (refused when offline).
      const here = photos.get(sha);
      if (here) return here.buffer as ArrayBuffer;
      if ((scenario.unreachablePhotos ?? [data.PHOTO_KITCHEN]).includes(sha)) return await fail(data.errors.offline());
      const file = data.photoFile(sha);
      return file ? (file.buffer as ArrayBuffer) : await fail(data.errors.notFound());
    } finally {
      photosInFlight -= 1;
    }
  }

  const fail = (e: AppError) => Promise.reject(e);

  function newDraft(householdId: string): VisitDraft {
    return {
      id: `draft-${householdId}`,
      household_id: householdId,
      started_at: `${data.TODAY}T09:00:00+08:00`,
      updated_at: `${data.TODAY}T09:00:00+08:00`,
      step: 0,
      present: [],
      checks: {
        education: { status: null, note: '' },
        medical: { status: null, note: '' },
        housing: { status: null, note: '' },
        water: { status: null, note: '' },
      },
      policy_talk: [],
      tidiness: null,
      problems: '',
      measures: '',
      photos: [],
      signature: null,
      place: null,
      corrects: null,
      correction_reason: '',
    };
  }

  // Corrections finished: the corrected visit's id → the correcting visit (like the app: the
  // original stays, marked, and the correction comes before it).
  type VisitItem = Extract<TimelineEntry, { type: 'visit' }>;
  const corrections = new Map<string, VisitItem>();
  let correctionSeed = 1;
  const ITEMS = ['education', 'medical', 'housing', 'water'] as const;

  function withCorrections(timeline: TimelineEntry[]): TimelineEntry[] {
    const out: TimelineEntry[] = [];
    const add = (e: TimelineEntry) => {
      if (e.type !== 'visit') return void out.push(e);
      const c = corrections.get(e.id);
      if (!c) return void out.push(e);
      add(c);
      out.push({
        ...e,
        corrected: true,
        can_correct: false,
        corrected_by: { id: c.id, by_name: '张丽', at: `${data.TODAY}T09:10:00+08:00`, reason: c.correction_reason ?? '' },
      });
    };
    timeline.forEach(add);
    return out;
  }

  function visitEntries(householdId: string): VisitItem[] {
    const page = data.householdDetail(householdId);
    const all = page ? withCorrections(timelineOf(page.timeline)) : [];
    return all.filter((e): e is VisitItem => e.type === 'visit');
  }

  function timelineOf(timeline: TimelineEntry[]): TimelineEntry[] {
    if (!scenario.implausibleVisit) return timeline;
    return timeline.map((e) => (e.id === 'v1' && e.type === 'visit' ? { ...e, at: data.IMPLAUSIBLE_AT, day: data.IMPLAUSIBLE_AT.slice(0, 10) } : e));
  }

  function correctionDraft(householdId: string, visitId: string): VisitDraft | AppError {
    const v = visitEntries(householdId).find((e) => e.id === visitId);
    if (!v) return data.errors.notFound();
    const refuse = (code: string, message: string) => data.errors.invalid([field('corrects', code, message)]);
    if (v.corrected) return refuse('visit_superseded', '这次走访已经更正过，原记录不再有效。请在走访记录中打开最新的更正记录，再点“更正”。');
    if (!v.can_correct) return refuse('not_your_visit', '只有走访人本人才能更正这次走访。如记录有误，请联系当时的走访人在其手机上更正。');
    const d = newDraft(householdId);
    const risk = (item: (typeof ITEMS)[number]) => v.risks.find((r) => r.item === item);
    return {
      ...d,
      id: `correction-${visitId}`,
      started_at: v.at,
      checks: {
        education: { status: risk('education') ? 'risk' : 'ok', note: risk('education')?.note ?? '' },
        medical: { status: risk('medical') ? 'risk' : 'ok', note: risk('medical')?.note ?? '' },
        housing: { status: risk('housing') ? 'risk' : 'ok', note: risk('housing')?.note ?? '' },
        water: { status: risk('water') ? 'risk' : 'ok', note: risk('water')?.note ?? '' },
      },
      policy_talk: [...v.policy_talk],
      problems: v.problems,
      measures: v.measures,
      photos: v.photos.map((sha256) => ({ sha256, bytes: 0 })),
      signature: v.signature ? { sha256: v.signature, bytes: 0 } : null,
      corrects: visitId,
    };
  }

  function preview(req: IncomeInput): IncomePreview {
    const sum = (c: string) => req.items.filter((i) => i.category === c).reduce((a, i) => a + i.amount_fen, 0);
    const errors: FieldError[] = [];
    req.items.forEach((item, i) => {
      if (item.amount_fen < 0) {
        const label = { wage: '工资性收入', business: '生产经营性收入', transfer: '转移性收入', property: '财产性收入' }[item.category];
        errors.push(field(`items[${i}].amount_fen`, 'negative_money', `${label}不能为负数。请填写不带负号的金额（生产经营性支出请填在相应栏目）。`));
      }
    });
    if (req.business_cost_fen < 0) {
      errors.push(field('business_cost_fen', 'negative_money', '生产经营性支出不能为负数。请填写不带负号的金额（生产经营性支出请填在相应栏目）。'));
    }
    if (req.household_size === 0) {
      errors.push(field('household_size', 'household_size_zero', '家庭人口数为0，无法计算人均纯收入。请填写计入家庭的人口数（至少1人）。'));
    }
    const wage = sum('wage');
    const business = sum('business');
    const transfer = sum('transfer');
    const property = sum('property');
    const net = wage + business + transfer + property - req.business_cost_fen;
    const perCapita = req.household_size > 0 ? Math.trunc(net / req.household_size) : 0;
    const warnings = [];
    if (!errors.length && net > 0 && perCapita * 4 < 750000) {
      warnings.push({
        code: 'income_below_line',
        message: `2025年第四季度人均纯收入（按年折算）${((perCapita * 4) / 100).toFixed(0)} 元，低于监测范围 7500 元`,
        what_to_do: '请核实收入，按“缺什么补什么”调整帮扶措施，并报告村和乡镇。',
      });
    }
    if (!errors.length && net < 300000) {
      warnings.push({
        code: 'income_drop_quarter',
        message: `2025年第四季度纯收入比上季度下降 ${Math.ceil(((612000 - net) * 100) / 612000)}%`,
        what_to_do: '请核实下降原因（疾病、灾害、务工中断等），及时报告村和乡镇。',
      });
    }
    return {
      wage_fen: wage,
      business_fen: business,
      transfer_fen: transfer,
      property_fen: property,
      net_fen: net,
      net_per_capita_fen: perCapita,
      line_yuan: 7500,
      warnings,
      errors,
    };
  }

  async function syncNow(args: { onProgress?: { id: number } }): Promise<SyncReport> {
    const channel = args.onProgress;
    let index = 0;
    const send = (p: SyncProgress) =>
      channel &&
      (window as unknown as { __TAURI_INTERNALS__: { runCallback(id: number, data: unknown): void } }).__TAURI_INTERNALS__.runCallback(channel.id, { index: index++, message: p });
    const pause = () => new Promise((r) => setTimeout(r, 120));
    const started = `${data.TODAY}T10:00:00+08:00`;
    if (scenario.syncFailure) {
      send({ phase: 'push', done: 0, total: 5 });
      await pause();
      const [message, todo] = SYNC_FAILURES[scenario.syncFailure] ?? ['同步出错，没有完成。', '请截图发给县里的系统管理员。'];
      const report: SyncReport = {
        started_at: started,
        finished_at: `${data.TODAY}T10:00:08+08:00`,
        ok: false,
        pushed: 0,
        pulled: 0,
        rejected: [],
        photos_uploaded: 0,
        photos_failed: 0,
        clock_warning: null,
        future_received: 0,
        failure: {
          code: scenario.syncFailure,
          message_zh: `${message}已录入的数据都保存在手机上，不会丢失。`,
          what_to_do: todo,
          retryable: scenario.syncFailure === 'offline',
        },
      };
      status = { ...status, last_sync: report };
      return report;
    }
    for (let i = 1; i <= 5; i++) {
      send({ phase: 'push', done: i, total: 5 });
      await pause();
    }
    send({ phase: 'pull', done: 40, total: null });
    await pause();
    send({ phase: 'photos', done: 7, total: 7 });
    await pause();
    const report: SyncReport = {
      started_at: started,
      finished_at: `${data.TODAY}T10:00:09+08:00`,
      ok: true,
      pushed: 5,
      pulled: 40,
      rejected: [],
      photos_uploaded: 7,
      photos_failed: 0,
      failure: null,
      clock_warning: scenario.clockWrong
        ? '本机时间比服务器快约 3650 天。请在手机“设置”中把日期和时间设为自动：时间不准，本机的修改会盖过别人后来的修改，或被别人早先的修改盖过。已记录的内容按您填写的日期计算，不受影响。'
        : null,
      future_received: scenario.clockWrong ? 2 : 0,
    };
    status = { ...status, pending_ops: 0, pending: [], photos_waiting: 0, photos_waiting_bytes: 0, last_sync: report, last_success_at: report.finished_at };
    return report;
  }

  mockIPC(async (cmd, raw) => {
    const args = (raw ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args: raw instanceof Uint8Array ? { bytes: raw.length } : JSON.parse(JSON.stringify(args)) });
    const planned = scenario.fail?.[cmd];
    if (planned) return fail(planned);
    const req = args.req as never;
    switch (cmd) {
      case 'session':
        return session;
      case 'enrol': {
        const r = req as EnrolRequest;
        const fields: FieldError[] = [];
        if (!/^https?:\/\/[^/\s?#]+/.test(r.server_url.trim())) {
          fields.push(field('server_url', 'bad_server_url', '服务器地址不正确。请填写以 http:// 或 https:// 开头的完整地址，例如 https://bangfu.example.gov.cn。'));
        }
        // The real check is bangfu_sync_client::server_url; the mock knows two LAN examples.
        const lan = /^http:\/\/(127\.|10\.|192\.168\.|localhost)/.test(r.server_url.trim());
        if (/^http:\/\//.test(r.server_url.trim()) && !lan) {
          fields.push(field('server_url', 'insecure_server_url', '这个地址不加密（http://），只能用于内部网络。请改用以 https:// 开头的地址，例如 https://bangfu.example.gov.cn。'));
        }
        if (!r.username.trim()) fields.push(field('username', 'required', '请填写账号。'));
        if (!r.password) fields.push(field('password', 'required', '请填写密码。'));
        if (!/^\d{6}$/.test(r.pin)) fields.push(field('pin', 'pin_format', 'PIN 码须为 6 位数字。请重新输入。'));
        if (fields.length) return fail(data.errors.invalid(fields));
        if (r.password !== 'right') return fail(data.errors.badCredentials());
        session = data.session({
          has_data: true,
          server_url: r.server_url.trim(),
          server_url_warning: r.server_url.trim().startsWith('http://') ? data.PLAIN_HTTP_WARNING : null,
        });
        return session;
      }
      case 'unlock': {
        const r = req as UnlockRequest;
        if (r.pin === data.PIN && wrongPins < 5) {
          wrongPins = 0;
          session = { ...session, unlocked: true };
          return session;
        }
        wrongPins += 1;
        if (wrongPins >= 5) {
          return fail({ code: 'pin_locked', message: 'PIN 码输错次数太多。请 30 秒 后再试。忘记 PIN 码时，请联网用账号和密码重新登录。', retry_after_s: 30, fields: [] });
        }
        return fail({ code: 'pin_wrong', message: `PIN 码不正确。请重新输入。再错 ${5 - wrongPins} 次需要等待一段时间才能再试。`, retry_after_s: null, fields: [] });
      }
      case 'lock':
        session = { ...session, unlocked: false };
        return session;
      case 'set_pin':
        return session;
      case 'my_tasks': {
        const shown = allTasks();
        return {
          as_of: data.TODAY,
          tasks: shown,
          alerts: [...alerts, ...(scenario.implausibleVisit && !corrections.has('v1') ? [data.implausibleAlert] : [])],
          overdue: shown.filter((t) => t.status === 'overdue').length,
          open: shown.filter((t) => t.status === 'open').length,
          upcoming: shown.filter((t) => t.status === 'upcoming').length,
          calendar_uncovered: false,
        };
      }
      case 'my_households': {
        const q = req as HouseholdQuery;
        const s = q.search?.trim() ?? '';
        const all = data.households.filter((h) => !s || h.head_name.includes(s) || h.village_name.includes(s) || (h.group ?? '').includes(s));
        const size = q.page_size || 20;
        return { total: all.length, page: q.page, page_size: size, items: all.slice(q.page * size, (q.page + 1) * size) };
      }
      case 'household_page': {
        const page = data.householdDetail((req as { household_id: string }).household_id);
        if (page && scenario.visitPhotos) {
          const only = scenario.visitPhotos;
          page.timeline = page.timeline.map((e) => (e.type === 'visit' ? { ...e, photos: only } : e));
        }
        if (page) page.timeline = withCorrections(timelineOf(page.timeline));
        if (page) {
          page.open_tasks = tasks.filter((t) => t.household_id === page.profile.id);
          if (page.profile.id === data.SIGN_HH && signRecorded) {
            page.timeline = [{ type: 'sign', id: 'sign-1', day: data.TODAY, cadre_name: data.signPairing.cadre_name, recorded_by_name: '张丽' }, ...page.timeline];
          }
          if (page.profile.id === data.ARRANGE_HH && scenario.firstSecretary) {
            page.pairings = arranged
              ? [{ id: 'p-arranged', cadre_name: arranged.name, unit_name: '县农业农村局', start: arranged.start, end: null, end_reason: null, active: true }]
              : [];
          }
        }
        return page ?? fail(data.errors.notFound());
      }
      case 'sign_form': {
        const id = (req as SignFormQuery).household_id;
        const pairings = id === data.SIGN_HH && !signRecorded ? [data.signPairing] : [];
        const row = data.households.find((h) => h.id === id);
        return { household_id: id, head_name: row?.head_name ?? '', today: data.TODAY, pairings };
      }
      case 'sign_record': {
        const r = req as SignInput;
        const on = r.replaced_on ?? data.TODAY;
        const fields: FieldError[] = [];
        if (r.household_id !== data.SIGN_HH || r.pairing_id !== data.signPairing.pairing_id) {
          fields.push(field('pairing_id', 'pairing_household_mismatch', '所选结对关系属于其他农户。请选择本户的结对关系。'));
        }
        if (on > data.TODAY) fields.push(field('replaced_on', 'in_future', '更换日期晚于今天。请选择联系牌实际更换的日期（不能晚于今天）。'));
        else if (on < data.signPairing.start) {
          fields.push(field('replaced_on', 'replaced_before_pairing', `更换日期早于结对开始日期（${data.signPairing.start}）。请选择结对开始当天或之后的日期。`));
        }
        if (fields.length) return fail(data.errors.invalid(fields));
        signRecorded = true;
        tasks = tasks.filter((t) => !(t.kind === 'replace_sign' && t.household_id === r.household_id));
        return { id: 'sign-1', replaced_on: on };
      }
      case 'pairing_candidates': {
        const id = (req as PairingCandidatesQuery).household_id;
        if (!scenario.firstSecretary) {
          return fail(data.errors.invalid([field('household_id', 'not_village_staff', '只有本村第一书记或驻村工作队员可以安排结对帮扶干部。请联系本村第一书记安排。')]));
        }
        if (id !== data.ARRANGE_HH || arranged) {
          return fail(data.errors.invalid([field('household_id', 'already_paired', '这户已有结对帮扶干部（自 2024-03-01 起），不能再安排。如需更换，请由帮扶单位按职务接替。')]));
        }
        return data.candidates;
      }
      case 'arrange_pairing': {
        const r = req as ArrangeInput;
        const start = r.start ?? data.TODAY;
        const cadre = data.candidates.cadres.find((c) => c.person_id === r.cadre_id);
        const fields: FieldError[] = [];
        if (!cadre) fields.push(field('cadre_id', 'not_assisting_unit', '所选人员不是本村帮扶单位的帮扶干部。请从列表中选择本村帮扶单位的干部。'));
        if (start > data.candidates.latest_start) fields.push(field('start', 'too_far_ahead', '结对开始日期太远。请选择今天到 30 天以内的日期。'));
        if (fields.length || !cadre) return fail(data.errors.invalid(fields));
        arranged = { name: cadre.name, start };
        tasks = [...tasks.filter((t) => !(t.kind === 'arrange_pairing' && t.household_id === r.household_id)), data.arrangedSignTask(cadre.name, start)];
        alerts = alerts.filter((a) => !(a.kind === 'no_cadre' && a.household_id === r.household_id));
        return { pairing_id: 'p-arranged', start, cadre_name: cadre.name, sign_due_on: '2025-12-31' };
      }
      case 'draft_new': {
        const id = (req as { household_id: string }).household_id;
        const d = drafts.get(id) ?? newDraft(id);
        drafts.set(id, d);
        return d;
      }
      case 'draft_get':
        return drafts.get((req as { household_id: string }).household_id) ?? null;
      case 'draft_save': {
        const d = req as VisitDraft;
        const stored = drafts.get(d.household_id);
        const saved = {
          ...d,
          photos: stored?.photos ?? [],
          signature: stored?.signature ?? null,
          corrects: stored?.corrects ?? null,
          correction_reason: stored?.corrects ? d.correction_reason : '',
          started_at: stored?.corrects ? d.started_at : (stored?.started_at ?? d.started_at),
          updated_at: `${data.TODAY}T09:05:00+08:00`,
        };
        drafts.set(d.household_id, saved);
        return saved;
      }
      case 'draft_discard': {
        for (const [k, d] of drafts) if (d.id === (req as DraftRef).draft_id) drafts.delete(k);
        return null;
      }
      case 'add_photo':
      case 'set_signature': {
        const bytes = raw as Uint8Array;
        const d = [...drafts.values()][0];
        const sha = hex(photoSeed++);
        photos.set(sha, bytes);
        const ref = { sha256: sha, bytes: bytes.length };
        if (cmd === 'add_photo') d.photos = [...d.photos, ref];
        else d.signature = ref;
        return d;
      }
      case 'remove_photo': {
        const r = req as { draft_id: string; sha256: string };
        const d = [...drafts.values()].find((x) => x.id === r.draft_id)!;
        d.photos = d.photos.filter((p) => p.sha256 !== r.sha256);
        return d;
      }
      case 'photo_bytes':
        return photoBytes((req as PhotoQuery).sha256);
      case 'draft_finish': {
        const d = [...drafts.values()].find((x) => x.id === (req as DraftRef).draft_id)!;
        const names = { education: '义务教育', medical: '基本医疗', housing: '住房安全', water: '饮水安全' } as const;
        const fields: FieldError[] = [];
        for (const item of ['education', 'medical', 'housing', 'water'] as const) {
          const c = d.checks[item];
          if (!c.status) fields.push(field(`checks.${item}.status`, 'check_unanswered', `${names[item]}还没有核查。请选择“有保障”或“有风险”。`));
          else if (c.status === 'risk' && !c.note.trim()) {
            fields.push(field(`checks.${item}.note`, 'risk_needs_note', `${names[item]}标记为“有风险”，但未填写情况说明。请写明发现的问题，以便乡村及时处置。`));
          }
        }
        if (d.corrects) {
          if (d.started_at > `${data.TODAY}T23:59`) fields.unshift(field('visited_at', 'in_future', '走访时间晚于现在。请改为实际入户走访的日期和时间。'));
          if (!d.correction_reason.trim()) {
            fields.unshift(field('correction_reason', 'correction_reason_required', '请填写更正原因：说明原记录哪里有误（例如“走访日期记错了”）。'));
          }
        }
        if (fields.length) return fail(data.errors.invalid(fields));
        drafts.delete(d.household_id);
        if (d.corrects) {
          const original = visitEntries(d.household_id).find((e) => e.id === d.corrects)!;
          corrections.set(d.corrects, {
            ...original,
            id: `v-fix-${correctionSeed++}`,
            at: d.started_at,
            day: d.started_at.slice(0, 10),
            risks: ITEMS.filter((i) => d.checks[i].status === 'risk').map((item) => ({ item, note: d.checks[item].note })),
            policy_talk: d.policy_talk,
            problems: d.problems,
            measures: d.measures,
            photos: d.photos.map((p) => p.sha256),
            signature: d.signature?.sha256 ?? null,
            corrected: false,
            corrected_by: null,
            corrects: d.corrects,
            correction_reason: d.correction_reason.trim(),
            can_correct: true,
          });
        }
        const risk_items = (['education', 'medical', 'housing', 'water'] as const).filter((i) => d.checks[i].status === 'risk');
        return { visit_id: d.id, household_id: d.household_id, risk_items, photos_queued: d.photos.length + (d.signature ? 1 : 0) };
      }
      case 'record_contact': {
        const r = req as ContactInput;
        if (r.at && r.at > '2026') {
          return fail(data.errors.invalid([field('at', 'in_future', '联系时间晚于现在。请选择已经发生的联系时间。')]));
        }
        return { id: 'contact-1', at: r.at ?? `${data.TODAY}T09:30:00+08:00` };
      }
      case 'income_form': {
        const q = req as IncomeFormQuery;
        const row = data.households.find((h) => h.id === q.household_id);
        const state = scenario.incomeWindow ?? 'open';
        return {
          household_id: q.household_id,
          head_name: row?.head_name ?? '',
          quarter: q.quarter ?? '2025-Q4',
          window_opens: '2025-12-25',
          window_closes: '2026-01-05',
          window_state: state,
          collected: null,
          previous: { id: 'i1', quarter: '2025-Q3', collected_on: '2025-09-27', household_size: 3, items: [], business_cost_fen: 0, insurance_payout_fen: 0, out_of_pocket_fen: 0, rigid_expense_fen: 0, net_fen: 612000, net_per_capita_fen: 204000 },
          household_size: 3,
          line_yuan: 7500,
          categories: [
            { category: 'wage', items: ['外出务工收入', '本地务工收入', '公益性岗位工资', '零工收入'] },
            { category: 'business', items: ['种植业收入', '养殖业收入', '林业收入', '个体经营收入'] },
            { category: 'transfer', items: ['低保金', '特困供养金', '养老金', '生态补偿金', '政策性补贴', '赡养费及亲友资助'] },
            { category: 'property', items: ['存款利息', '租金（含土地流转）', '分红（含集体资产、光伏收益）'] },
          ],
        };
      }
      case 'income_preview':
        return preview(req as IncomeInput);
      case 'income_save': {
        const p = preview(req as IncomeInput);
        if (p.errors.length) return fail(data.errors.invalid(p.errors));
        return { id: 'income-1', preview: p };
      }
      case 'evaluation_form': {
        const q = req as EvaluationFormQuery;
        const row = data.households.find((h) => h.id === q.household_id);
        if (!row) return fail(data.errors.notFound());
        const quarter = q.quarter ?? (q.household_id === data.hid(4) ? '2025-Q3' : '2025-Q4');
        if (row.class !== 'monitored') {
          return fail(data.errors.invalid([field('household_id', 'not_monitored', `这户在${quarter.slice(0, 4)}年第${'一二三四'[Number(quarter.slice(6)) - 1]}季度末不是监测对象，不需要帮扶成效评估（评估只针对监测对象）。请选择监测对象户。`)]));
        }
        return data.evaluationForm(q.household_id, quarter, evaluations.get(`${q.household_id}:${quarter}`) ?? null);
      }
      case 'evaluation_save': {
        const r = req as EvaluationInput;
        const row = data.households.find((h) => h.id === r.household_id);
        if (!row) return fail(data.errors.notFound());
        const fields: FieldError[] = [];
        if (row.class !== 'monitored') {
          fields.push(field('household_id', 'not_monitored', '这户不是监测对象，不需要帮扶成效评估（评估只针对监测对象）。请选择监测对象户。'));
        } else if (r.quarter >= '2025-Q4') {
          fields.push(field('quarter', 'quarter_not_open', `${r.quarter.slice(0, 4)}年第四季度的帮扶成效评估从12月25日开始（收入采集期开始后）。请到时再评估，或选择已到期的季度。`));
        }
        const missing = [
          [r.income_above_line, '收入稳定超过监测范围'],
          [r.guarantees_consolidated, '“三保障”及饮水安全持续巩固'],
          [r.risk_eliminated, '风险稳定消除'],
        ].filter(([held]) => !held).map(([, name]) => name);
        if (r.outcome === 'propose_elimination' && missing.length) {
          fields.push(field('outcome', 'outcome_contradicts_findings', `提出风险消除须三项评估结论都为“是”，尚未确认：${missing.join('、')}。请核实后确认，或选择其他处理意见（如持续帮扶、调整帮扶计划）。`));
        }
        if ([...r.note.trim()].length > 500) fields.push(field('note', 'too_long', '评估说明太长（最多 500 字）。请精简后再保存。'));
        if (fields.length) return fail(data.errors.invalid(fields));
        const key = `${r.household_id}:${r.quarter}`;
        const corrects = evaluations.has(key) ? `evaluation-${r.household_id}-${r.quarter}` : null;
        evaluations.set(key, { on: data.TODAY, outcome: r.outcome, note: r.note.trim(), answers: [r.income_above_line, r.guarantees_consolidated, r.risk_eliminated] });
        return { id: `evaluation-${r.household_id}-${r.quarter}`, quarter: r.quarter, corrects };
      }
      case 'correction_open': {
        const r = req as { visit_id: string };
        const hh = data.households.map((h) => h.id).find((h) => visitEntries(h).some((e) => e.id === r.visit_id)) ?? data.hid(1);
        const open = drafts.get(hh);
        if (open) {
          if (open.corrects === r.visit_id) return open;
          return fail(data.errors.invalid([field('corrects', 'draft_open', '该户还有一份未完成的走访（或更正）。请先在该户页面完成或放弃它，再更正这次走访。')]));
        }
        const d = correctionDraft(hh, r.visit_id);
        if ('code' in d) return fail(d);
        drafts.set(hh, d);
        return d;
      }
      case 'sync_status':
        return status;
      case 'sync_now':
        return syncNow(args as { onProgress?: { id: number } });
      case 'village_overview':
        return session.account?.role === 'first_secretary' || session.account?.role === 'team_member'
          ? data.village
          : { as_of: data.TODAY, quarter: data.village.quarter, villages: [] };
      default:
        return fail({ code: 'internal', message: `未知命令 ${cmd}`, retry_after_s: null, fields: [] });
    }
  });
}
