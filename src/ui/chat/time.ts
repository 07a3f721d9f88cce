/** Times in the chat, in the reader's locale: hour:minute today, the date otherwise. */

const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' })
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' })
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' })
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' })

function sameDay (a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate()
}

function dateOnly (d: Date, today: Date): string {
  return (d.getFullYear() === today.getFullYear() ? dayMonth : dayMonthYear).format(d)
}

/** For the conversation list: "14:05" today, "3 Mar" this year, "3 Mar 2024" before. */
export function listTime (timestamp: number, nowMs: number): string {
  const d = new Date(timestamp)
  const today = new Date(nowMs)
  return sameDay(d, today) ? clock.format(d) : dateOnly(d, today)
}

/** For a message: "14:05" today, "3 Mar, 14:05" another day. */
export function messageTime (timestamp: number, nowMs: number): string {
  const d = new Date(timestamp)
  const today = new Date(nowMs)
  return sameDay(d, today) ? clock.format(d) : `${dateOnly(d, today)}, ${clock.format(d)}`
}

/** The full date and time, for a tooltip. */
export function fullTime (timestamp: number): string {
  return full.format(new Date(timestamp))
}

/** Machine-readable value for <time dateTime>. */
export function isoTime (timestamp: number): string {
  return Number.isFinite(timestamp) ? new Date(timestamp).toISOString() : ''
}
