/**
 * The one reader of `Retry-After` (RFC 9110 §10.2.3) for every upstream answer, Meta's and
 * Genesys': `Retry-After = HTTP-date / delay-seconds`; and the writer of ours. Pure.
 *
 * HTTP-dates are matched strictly (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and
 * asctime forms a recipient must still accept) rather than with `Date.parse`, which takes almost
 * anything ("-5" is a date to it) and would turn a garbled header into a wait.
 */

/**
 * The longest wait a server can ask of us. A larger value is more likely a broken header than a
 * plan, and a conversation's lane waits behind it, so it is cut here.
 */
export const RETRY_AFTER_CAP_MS = 60 * 60_000;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** Sun, 06 Nov 1994 08:49:37 GMT */
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** Sunday, 06-Nov-94 08:49:37 GMT */
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`,
  'i',
);
/** Sun Nov  6 08:49:37 1994 */
const ASCTIME_DATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`, 'i');

/** Milliseconds to wait before the next try, or undefined when the header is absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Math.min(Number(value) * 1000, RETRY_AFTER_CAP_MS);
  const at = parseHttpDate(value, now);
  return at === undefined ? undefined : Math.min(Math.max(0, at - now), RETRY_AFTER_CAP_MS);
}

/** Our own Retry-After for a wait: delay-seconds, whole and at least 1. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** An HTTP-date as epoch milliseconds (always GMT), or undefined when it is not one. */
export function parseHttpDate(value: string, now = Date.now()): number | undefined {
  let m = IMF_FIXDATE.exec(value);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m.slice(4, 7));
  m = RFC850_DATE.exec(value);
  if (m) return utc(fullYear(Number(m[3]), now), m[2]!, Number(m[1]), m.slice(4, 7));
  m = ASCTIME_DATE.exec(value);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m.slice(3, 6));
  return undefined;
}

/**
 * RFC 9110 §5.6.7: a two-digit year "that appears to be more than 50 years in the future" is
 * "the most recent year in the past that had the same last two digits".
 */
function fullYear(twoDigits: number, now: number): number {
  const current = new Date(now).getUTCFullYear();
  const year = current - (current % 100) + twoDigits;
  return year > current + 50 ? year - 100 : year;
}

function utc(year: number, monthName: string, day: number, time: string[]): number | undefined {
  const [hours, minutes, seconds] = time.map(Number) as [number, number, number];
  // The grammar allows a leap second (:60); it counts as the first second of the next minute.
  if (hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const midnight = Date.UTC(year, MONTHS.indexOf(monthName.toLowerCase()), day);
  // Date.UTC rolls 31 Feb over into March; a day that does not exist makes no date.
  if (new Date(midnight).getUTCDate() !== day) return undefined;
  return midnight + ((hours * 60 + minutes) * 60 + seconds) * 1000;
}
