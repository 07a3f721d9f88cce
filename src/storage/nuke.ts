/**
 * Erase everything this origin keeps in the browser: every IndexedDB database
 * (identity, keys, contacts, history), Cache Storage (the service worker's
 * precache included), service-worker registrations, and local/session
 * storage. The caller closes its own database connections first.
 */

const DELETE_TIMEOUT_MS = 5_000

async function deleteDatabase (name: string): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(name)
    // A connection in another tab delays deletion until it closes; the request
    // stays queued and completes then. Do not hang the UI waiting for it.
    const timer = setTimeout(resolve, DELETE_TIMEOUT_MS)
    const done = (): void => { clearTimeout(timer); resolve() }
    req.onsuccess = done
    req.onerror = done
  })
}

export interface WipeReport {
  databases: number
  caches: number
  serviceWorkers: number
}

export async function wipeOrigin (knownDatabases: readonly string[] = ['shallot-profile']): Promise<WipeReport> {
  const report: WipeReport = { databases: 0, caches: 0, serviceWorkers: 0 }
  const names = new Set(knownDatabases)
  try {
    for (const info of await indexedDB.databases()) if (info.name != null) names.add(info.name)
  } catch { /* databases() missing: delete the known ones */ }
  await Promise.all([...names].map(async n => { await deleteDatabase(n); report.databases++ }))

  if (typeof caches !== 'undefined') {
    try {
      const keys = await caches.keys()
      await Promise.all(keys.map(async k => { if (await caches.delete(k)) report.caches++ }))
    } catch { /* Cache Storage unavailable (e.g. insecure context) */ }
  }
  if (typeof navigator !== 'undefined' && 'serviceWorker' in navigator) {
    try {
      const regs = await navigator.serviceWorker.getRegistrations()
      await Promise.all(regs.map(async r => { if (await r.unregister()) report.serviceWorkers++ }))
    } catch { /* not allowed here */ }
  }
  try { localStorage.clear() } catch { /* storage disabled */ }
  try { sessionStorage.clear() } catch { /* storage disabled */ }
  return report
}
