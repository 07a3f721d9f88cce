/**
 * Raw WebRTC between two pages, signalled through the test process: no app,
 * no libp2p, so what is observed is the lab's NATs and coturn alone.
 *
 * Signalling is non-trickle (each side waits for ICE gathering, bounded, and
 * sends a complete SDP), which keeps the exchange to one round trip. The
 * result is read from getStats(): the transport's selected candidate pair.
 */
import type { Page } from '@playwright/test'

/** One end of the selected candidate pair, as RTCIceCandidateStats reports it. */
export interface CandidateInfo {
  type: string
  address: string | null
  port: number | null
  protocol: string
  relayProtocol: string | null
}

export interface SelectedPair { local: CandidateInfo, remote: CandidateInfo }

export interface PairResult {
  connected: boolean
  /** the candidate lines each side put in its SDP */
  offerCandidates: string[]
  answerCandidates: string[]
  /** selected pair as seen by the offerer (a) and the answerer (b), when connected */
  a: SelectedPair | null
  b: SelectedPair | null
}

interface SmokeState {
  pc: RTCPeerConnection
  channel: Promise<RTCDataChannel>
}

declare global {
  interface Window { netlabSmoke?: SmokeState }
}

/** How long to wait for ICE gathering (non-trickle signalling). */
const GATHER_MS = 10_000

/** In the page: the local description once ICE gathering completes (at most GATHER_MS; non-trickle). */
async function gatheredDescription (page: Page): Promise<string> {
  return await page.evaluate(async ({ gatherMs }) => {
    const pc = window.netlabSmoke?.pc
    if (pc == null) return ''
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, gatherMs)
      const check = () => { if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve() } }
      pc.onicegatheringstatechange = check
      check()
    })
    return pc.localDescription?.sdp ?? ''
  }, { gatherMs: GATHER_MS })
}

async function offer (page: Page, config: RTCConfiguration): Promise<string> {
  await page.evaluate(async ({ config }) => {
    const pc = new RTCPeerConnection(config)
    const dc = pc.createDataChannel('smoke')
    const channel = new Promise<RTCDataChannel>((resolve) => { dc.onopen = () => { resolve(dc) } })
    window.netlabSmoke = { pc, channel }
    await pc.setLocalDescription(await pc.createOffer())
  }, { config })
  return await gatheredDescription(page)
}

async function answer (page: Page, config: RTCConfiguration, sdp: string): Promise<string> {
  await page.evaluate(async ({ config, sdp }) => {
    const pc = new RTCPeerConnection(config)
    const channel = new Promise<RTCDataChannel>((resolve) => {
      pc.ondatachannel = (e) => {
        const dc = e.channel
        dc.onmessage = (m) => { if (m.data === 'ping') dc.send('pong') }
        if (dc.readyState === 'open') resolve(dc)
        else dc.onopen = () => { resolve(dc) }
      }
    })
    window.netlabSmoke = { pc, channel }
    await pc.setRemoteDescription({ type: 'offer', sdp })
    await pc.setLocalDescription(await pc.createAnswer())
  }, { config, sdp })
  return await gatheredDescription(page)
}

/** In the page: true once the data channel is open (and, on the offerer, a ping was answered). */
async function waitOpen (page: Page, ms: number, ping: boolean): Promise<boolean> {
  return await page.evaluate(async ({ ms, ping }) => {
    const state = window.netlabSmoke
    if (state == null) return false
    const timeout = new Promise<null>((resolve) => { setTimeout(() => { resolve(null) }, ms) })
    const dc = await Promise.race([state.channel, timeout])
    if (dc == null) return false
    if (!ping) return true
    const pong = new Promise<boolean>((resolve) => {
      dc.onmessage = (m) => { if (m.data === 'pong') resolve(true) }
      dc.send('ping')
    })
    return (await Promise.race([pong, timeout])) === true
  }, { ms, ping })
}

/** In the page: the transport's selected candidate pair. */
async function selectedPair (page: Page): Promise<SelectedPair | null> {
  return await page.evaluate(async () => {
    const pc = window.netlabSmoke?.pc
    if (pc == null) return null
    const stats = await pc.getStats()
    let pairId: string | undefined
    stats.forEach((s: { type: string, selectedCandidatePairId?: string }) => {
      if (s.type === 'transport' && s.selectedCandidatePairId != null) pairId = s.selectedCandidatePairId
    })
    const pair = pairId != null ? stats.get(pairId) as { localCandidateId: string, remoteCandidateId: string } | undefined : undefined
    if (pair == null) return null
    const describe = (id: string) => {
      const c = stats.get(id) as { candidateType: string, address?: string, port?: number, protocol: string, relayProtocol?: string }
      return { type: c.candidateType, address: c.address ?? null, port: c.port ?? null, protocol: c.protocol, relayProtocol: c.relayProtocol ?? null }
    }
    return { local: describe(pair.localCandidateId), remote: describe(pair.remoteCandidateId) }
  })
}

async function close (page: Page): Promise<void> {
  await page.evaluate(() => { window.netlabSmoke?.pc.close(); delete window.netlabSmoke })
}

const candidates = (sdp: string) => sdp.split(/\r?\n/).filter(l => l.startsWith('a=candidate:'))

/**
 * Connect page a (offerer) to page b (answerer) with the given configurations;
 * connected means a data channel opened on both sides and a ping got its pong
 * within connectMs.
 */
export async function connectPair (a: Page, configA: RTCConfiguration, b: Page, configB: RTCConfiguration, connectMs = 15_000): Promise<PairResult> {
  const offerSdp = await offer(a, configA)
  const answerSdp = await answer(b, configB, offerSdp)
  await a.evaluate(async (sdp) => { await window.netlabSmoke?.pc.setRemoteDescription({ type: 'answer', sdp }) }, answerSdp)
  const [openA, openB] = await Promise.all([waitOpen(a, connectMs, true), waitOpen(b, connectMs, false)])
  const connected = openA && openB
  const result: PairResult = {
    connected,
    offerCandidates: candidates(offerSdp),
    answerCandidates: candidates(answerSdp),
    a: connected ? await selectedPair(a) : null,
    b: connected ? await selectedPair(b) : null
  }
  await Promise.all([close(a), close(b)])
  return result
}

/** "local type address → remote type address", for logs. */
export function describePair (p: SelectedPair | null): string {
  if (p == null) return 'none'
  const end = (c: CandidateInfo) => `${c.type} ${c.address ?? '?'}:${c.port ?? '?'}/${c.protocol}${c.relayProtocol != null ? ` (relay over ${c.relayProtocol})` : ''}`
  return `${end(p.local)} → ${end(p.remote)}`
}
