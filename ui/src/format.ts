// Display helpers: money is integer fen everywhere; the UI shows yuan.

/** `1234.50 元` style number (no unit) from fen. */
export function yuan(fen: number): string {
  const sign = fen < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(fen));
  const whole = Math.floor(abs / 100).toLocaleString('zh-CN');
  const cents = abs % 100;
  return cents === 0 ? `${sign}${whole}` : `${sign}${whole}.${String(cents).padStart(2, '0')}`;
}

/**
 * Fen from what the user typed in yuan (up to 2 decimals). Empty is 0; anything unreadable is
 * NaN (the form shows it as wrong).
 */
export function fenOf(text: string): number {
  const t = text.trim().replace(/，/g, '').replace(/,/g, '');
  if (t === '') return 0;
  if (!/^-?\d+(\.\d{1,2})?$/.test(t)) return Number.NaN;
  const negative = t.startsWith('-');
  const [whole, frac = ''] = t.replace('-', '').split('.');
  const fen = Number(whole) * 100 + Number(frac.padEnd(2, '0'));
  return negative ? -fen : fen;
}

/** Yuan text for an input from fen (empty for 0). */
export function yuanInput(fen: number): string {
  if (!fen) return '';
  const abs = Math.abs(fen);
  const s = `${Math.floor(abs / 100)}${abs % 100 ? '.' + String(abs % 100).padStart(2, '0') : ''}`;
  return fen < 0 ? `-${s}` : s;
}

let currentYear = new Date().getFullYear();

/** The year dates are shown without (the session's "today", by the phone's clock). */
export function setCurrentYear(year: number) {
  if (year > 0) currentYear = year;
}

/** `12月31日` (this year) or `2026年1月5日`. */
export function day(iso: string | null | undefined, thisYear = currentYear): string {
  if (!iso) return '';
  const [y, m, d] = iso.slice(0, 10).split('-').map(Number);
  return y === thisYear ? `${m}月${d}日` : `${y}年${m}月${d}日`;
}

/** `2025年12月20日 09:30` from RFC 3339, in the time's own offset (as the phone recorded it). */
export function dateTime(rfc3339: string | null | undefined): string {
  if (!rfc3339) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(rfc3339);
  if (!m) return rfc3339;
  return `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日 ${m[4]}:${m[5]}`;
}

/** `2025-Q4` → [2025, 4]. */
export function quarterParts(q: string): [number, number] {
  const m = /^(\d{4})-Q([1-4])$/.exec(q);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
