import { useRegisterSW } from 'virtual:pwa-register/react'
import './UpdatePrompt.css'

/** Tells the user when a new version is ready (or the app works offline), and lets them choose when to reload. */
export function UpdatePrompt () {
  const { needRefresh: [needRefresh, setNeedRefresh], offlineReady: [offlineReady, setOfflineReady], updateServiceWorker } = useRegisterSW()
  if (!needRefresh && !offlineReady) return null
  return (
    <div className="toast" role="status" aria-label="App update">
      {needRefresh
        ? <>
            <span>A new version of Shallot is ready.</span>
            <button type="button" onClick={() => { void updateServiceWorker(true) }}>Reload to update</button>
            <button type="button" onClick={() => { setNeedRefresh(false) }}>Later</button>
          </>
        : <>
            <span>Shallot can now open without a connection.</span>
            <button type="button" onClick={() => { setOfflineReady(false) }}>OK</button>
          </>}
    </div>
  )
}
