// One typed wrapper per command of the Tauri shell. Each command is one call to the
// `bangfu_app::App` method of the same snake_case name; the types come only from
// `./bindings/`, generated from the Rust DTOs (crates/app/tests/bindings.rs), never copied.
//
// Conventions the shell follows:
// - a command with an input takes one argument named `req`;
// - `add_photo` and `set_signature` take the image as the raw request body, the draft id in the
//   `draft-id` header; `photo_bytes` answers raw bytes;
// - `sync_now` takes a channel `onProgress` for SyncProgress messages and resolves with the
//   SyncReport (a network failure is inside the report, not a rejection);
// - a failed command rejects with an `AppError` `{code, message, retry_after_s, fields}`.

import { Channel, invoke } from '@tauri-apps/api/core';
import type {
  AppError,
  ErrorCode,
  ContactInput,
  ContactSaved,
  CorrectionOpenRequest,
  DraftNewRequest,
  DraftQuery,
  DraftRef,
  EnrolRequest,
  HouseholdDetail,
  HouseholdList,
  HouseholdPageQuery,
  HouseholdQuery,
  IncomeForm,
  IncomeFormQuery,
  IncomeInput,
  IncomePreview,
  IncomeSaved,
  PhotoQuery,
  PhotoRemoveRequest,
  Session,
  SetPinRequest,
  SyncProgress,
  SyncReport,
  SyncStatus,
  TaskList,
  TasksQuery,
  UnlockRequest,
  VillageOverview,
  VillageQuery,
  VisitDraft,
  VisitFinished,
  EvaluationForm,
  EvaluationFormQuery,
  EvaluationInput,
  EvaluationSaved,
  SignForm,
  SignFormQuery,
  SignInput,
  SignSaved,
  PairingCandidates,
  PairingCandidatesQuery,
  ArrangeInput,
  PairingArranged,
} from './bindings';

/** Turns whatever a rejected invoke carries into an AppError. */
export function toAppError(e: unknown): AppError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const o = e as Partial<AppError>;
    return {
      code: (o.code ?? 'internal') as ErrorCode,
      message: String(o.message),
      retry_after_s: o.retry_after_s ?? null,
      fields: Array.isArray(o.fields) ? o.fields : [],
    };
  }
  return {
    code: 'internal',
    message: '应用出现内部错误，刚才的操作没有完成。请重试；如果一直这样，请截图发给县里的系统管理员。',
    retry_after_s: null,
    fields: [],
  };
}

async function call<T>(p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw toAppError(e);
  }
}

export const api = {
  session: () => call(invoke<Session>('session')),
  enrol: (req: EnrolRequest) => call(invoke<Session>('enrol', { req })),
  unlock: (req: UnlockRequest) => call(invoke<Session>('unlock', { req })),
  setPin: (req: SetPinRequest) => call(invoke<Session>('set_pin', { req })),
  lock: () => call(invoke<Session>('lock')),

  myTasks: (req: TasksQuery) => call(invoke<TaskList>('my_tasks', { req })),
  myHouseholds: (req: HouseholdQuery) => call(invoke<HouseholdList>('my_households', { req })),
  householdPage: (req: HouseholdPageQuery) =>
    call(invoke<HouseholdDetail>('household_page', { req })),

  draftNew: (req: DraftNewRequest) => call(invoke<VisitDraft>('draft_new', { req })),
  draftGet: (req: DraftQuery) => call(invoke<VisitDraft | null>('draft_get', { req })),
  draftSave: (req: VisitDraft) => call(invoke<VisitDraft>('draft_save', { req })),
  draftDiscard: (req: DraftRef) => call(invoke<null>('draft_discard', { req })),
  draftFinish: (req: DraftRef) => call(invoke<VisitFinished>('draft_finish', { req })),
  addPhoto: (draftId: string, bytes: Uint8Array) =>
    call(invoke<VisitDraft>('add_photo', bytes, { headers: { 'draft-id': draftId } })),
  removePhoto: (req: PhotoRemoveRequest) => call(invoke<VisitDraft>('remove_photo', { req })),
  setSignature: (draftId: string, png: Uint8Array) =>
    call(invoke<VisitDraft>('set_signature', png, { headers: { 'draft-id': draftId } })),
  photoBytes: (req: PhotoQuery) => call(invoke<ArrayBuffer>('photo_bytes', { req })),

  recordContact: (req: ContactInput) => call(invoke<ContactSaved>('record_contact', { req })),

  incomeForm: (req: IncomeFormQuery) => call(invoke<IncomeForm>('income_form', { req })),
  incomePreview: (req: IncomeInput) => call(invoke<IncomePreview>('income_preview', { req })),
  incomeSave: (req: IncomeInput) => call(invoke<IncomeSaved>('income_save', { req })),

  syncStatus: () => call(invoke<SyncStatus>('sync_status')),
  syncNow: (onProgress: (p: SyncProgress) => void) => {
    const channel = new Channel<SyncProgress>();
    channel.onmessage = onProgress;
    return call(invoke<SyncReport>('sync_now', { onProgress: channel }));
  },

  villageOverview: (req: VillageQuery) =>
    call(invoke<VillageOverview>('village_overview', { req })),
  evaluationForm: (req: EvaluationFormQuery) => call(invoke<EvaluationForm>('evaluation_form', { req })),
  evaluationSave: (req: EvaluationInput) => call(invoke<EvaluationSaved>('evaluation_save', { req })),
  correctionOpen: (req: CorrectionOpenRequest) =>
    call(invoke<VisitDraft>('correction_open', { req })),
  signForm: (req: SignFormQuery) => call(invoke<SignForm>('sign_form', { req })),
  signRecord: (req: SignInput) => call(invoke<SignSaved>('sign_record', { req })),
  pairingCandidates: (req: PairingCandidatesQuery) =>
    call(invoke<PairingCandidates>('pairing_candidates', { req })),
  arrangePairing: (req: ArrangeInput) => call(invoke<PairingArranged>('arrange_pairing', { req })),
};
