// Canonical forms for comparing two runs: JSON with sorted keys, and request text where the
// moments that depend on the clock ("now", today's date) are replaced by placeholders, because the
// two engines run a few seconds apart and a window ending at now_utc() differs by those seconds.

export interface ClockWindow {
  /** the earliest and latest moment either engine could have read as "now" (ms since epoch) */
  from: number;
  to: number;
}

/** JSON text with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
      return sorted;
    }
    return v;
  });
}

const DATETIME =
  /\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\b1\d{9}(?:\d{3})?\b/g;

/** Every datetime-looking run (ISO dates and times, epoch seconds or ms) replaced by `<t>`. */
export function maskTimes(text: string): string {
  return text.replace(DATETIME, '<t>');
}

const SLACK_MS = 10 * 60_000;

function instantOf(text: string): { ms: number; dateOnly: boolean } | undefined {
  if (/^\d+$/.test(text))
    return { ms: text.length === 13 ? Number(text) : Number(text) * 1000, dateOnly: false };
  if (text.length === 10) return { ms: Date.parse(`${text}T00:00:00Z`), dateOnly: true };
  const iso = text.replace(' ', 'T');
  const zoned = /Z|[+-]\d{2}:?\d{2}$/.test(iso) ? iso : `${iso}Z`;
  const ms = Date.parse(zoned.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(ms) ? undefined : { ms, dateOnly: false };
}

/** Datetimes within the run's clock window become `<now>`; today's date (either end) `<today>`. */
export function normalizeClock(text: string, window: ClockWindow): string {
  const days = new Set([
    new Date(window.from).toISOString().slice(0, 10),
    new Date(window.to).toISOString().slice(0, 10),
  ]);
  return text.replace(DATETIME, (match) => {
    const instant = instantOf(match);
    if (!instant) return match;
    if (instant.dateOnly) return days.has(match) ? '<today>' : match;
    return instant.ms >= window.from - SLACK_MS && instant.ms <= window.to + SLACK_MS ? '<now>' : match;
  });
}
