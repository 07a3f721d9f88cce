/**
 * A hedged attempt: start one, and if it has not finished after `delayMs`,
 * start a second beside it; the first to succeed wins and a later success is
 * handed to `onLoser` (to be closed). It fails when every attempt started has
 * failed (an attempt that fails before the delay is not retried here: the
 * caller's backoff decides). Reaching a contact goes through several relays
 * chosen at random; when one of them has just left, an attempt can sit in
 * timeouts for many seconds while a second one over other relays takes a
 * fraction of one (the remedy of Dean & Barroso, "The Tail at Scale", 2013).
 */
export async function hedged<T> (start: () => Promise<T>, delayMs: number, onLoser: (value: T) => void): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    let settled = false
    let running = 0
    let timer: ReturnType<typeof setTimeout> | null = null
    const stopTimer = (): void => { if (timer != null) { clearTimeout(timer); timer = null } }
    const launch = (): void => {
      running++
      start().then((value) => {
        running--
        if (settled) { onLoser(value); return }
        settled = true
        stopTimer()
        resolve(value)
      }, (err: unknown) => {
        running--
        if (settled || running > 0) return
        settled = true
        stopTimer()
        reject(err)
      })
    }
    launch()
    timer = setTimeout(() => {
      timer = null
      if (!settled) launch()
    }, delayMs)
  })
}
