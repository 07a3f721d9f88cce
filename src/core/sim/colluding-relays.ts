/**
 * A seeded model of colluding relays against the conversations of issue #13:
 * how often does an adversary running a fraction c of the relays hold the
 * first hop of *both* circuits of a conversation, per tab session and over
 * days of sessions? Every first hop comes from the real path code
 * (`choosePath` with a `GuardSet`, src/core/path), so the model follows any
 * change there; only the workload (who talks to whom, how often, when tabs
 * open) is invented here.
 *
 * A conversation (docs/RENDEZVOUS.md §1) is one rendezvous after another:
 * the client builds an ordinary 3-hop circuit whose last hop is the
 * rendezvous point it chose (client.ts: `onion.buildCircuit()`), and the
 * service builds 2 hops of its own plus that point (service.ts:
 * `buildCircuitTo(rp)`, i.e. `choosePath(2, [rp])` + rp). "Observed" means
 * the adversary is the first hop of both circuits of one rendezvous: it sees
 * both tabs' addresses and, from the same cells passing both ends, links them
 * by timing (the end-to-end correlation that Tor does not try to prevent;
 * Øverlier & Syverson 2006, "Locating hidden servers", and Johnson et al.
 * 2013, "Users get routed", measure how quickly it succeeds without guards
 * and with them). Why only the first hops: every other relay of the
 * rendezvous sees relays on both sides, not a tab's address.
 *
 * Three guard policies:
 *  - `per-session`: what the app does (src/app/relay-directory.ts keeps one
 *    `GuardSet` per tab session, guards.ts explains why): every session
 *    samples new guards;
 *  - `none`: a fresh first hop for every circuit (no `GuardSet`), the
 *    situation guards exist to prevent (guard-spec §1);
 *  - `persistent`: one `GuardSet` per user for the whole run, as Tor keeps
 *    its guards for months (Elahi et al. 2012, "Changing of the guards").
 *    Not something the app can do today: modelled only to show what it
 *    would buy.
 *
 * Relays are tabs that close. With `honestTurnover` h, after every round of
 * rendezvous each honest relay is replaced by a new one with probability h;
 * the adversary's relays never leave (it keeps them online on purpose). A
 * guard that left is dropped by `GuardSet.refresh` and the next one used,
 * which is one more draw for the adversary (Elahi et al. 2012 on guard
 * churn). With h = 0 the relay set never changes.
 *
 * Other simplifications, neutral or in the adversary's disfavour: users are
 * not themselves relays, and both ends of a conversation open their tab
 * sessions at the same times.
 */
import type { RelayDescriptor } from '../directory/descriptor.ts'
import { choosePath, GuardSet, relayWeight, weightCap } from '../path/index.ts'
import { uniformInt } from '../path/sampling.ts'
import { seededRandom, type RandomSource } from '../random.ts'

export type GuardPolicy = 'per-session' | 'none' | 'persistent'

export interface CollusionParams {
  /** Seed of the whole run (relays, adversary, every path). */
  readonly seed: string
  /** Relays in the directory. */
  readonly relays: number
  /** Fraction of the relays run by the adversary: round(c × relays) of them, chosen uniformly. */
  readonly colluding: number
  /** Users; user i holds a conversation with user i+1 (a ring), so every user has two. */
  readonly users: number
  /** Rendezvous per conversation per session (the first, plus reconnections when a path breaks). */
  readonly rendezvousPerSession: number
  readonly sessionsPerDay: number
  readonly days: number
  readonly guards: GuardPolicy
  /** Advertised capacity of every honest relay (KiB/s). */
  readonly honestCapacity?: number
  /** Advertised capacity of the adversary's relays; more than the honest one models a liar (the weight cap limits it). */
  readonly adversaryCapacity?: number
  /** Chance that an honest relay is replaced by a new one between two rounds of rendezvous (default 0: no churn). */
  readonly honestTurnover?: number
}

export interface CollusionResult {
  /** Share of the path weight the adversary's relays carry (what a first hop is drawn by). */
  readonly adversaryWeight: number
  /** Tab sessions (user × session) whose first circuit's first hop was the adversary's. */
  readonly firstHopShare: number
  /** Circuits (client and service sides, all rendezvous) whose first hop was the adversary's. */
  readonly circuitFirstHopShare: number
  /** Per session, the share of conversations with at least one rendezvous observed at both ends. */
  readonly perSessionShare: readonly number[]
  /** Over all sessions: observed conversation-sessions / conversation-sessions. */
  readonly conversationShare: number
  /** Per user-session, the share of users with at least one conversation observed in that session. */
  readonly userSessionShare: number
  /** After each day, the share of users who have had at least one conversation observed so far. */
  readonly usersObservedByDay: readonly number[]
  /** After each day, the share of conversations observed at least once so far. */
  readonly conversationsObservedByDay: readonly number[]
  /** Every observed (session, conversation, rendezvous), for reproducibility checks. */
  readonly observations: readonly string[]
}

const DEFAULT_CAPACITY = 100

/** Turnover is drawn as an integer below this (exact sampling, no floating-point draws). */
const TURNOVER_RESOLUTION = 1_000_000

function relay (peerId: string, capacity: number): RelayDescriptor {
  return {
    version: 1,
    peerId,
    onionKey: new Uint8Array(32),
    signingKey: new Uint8Array(32),
    published: 0,
    expires: 1,
    capacity,
    maxCircuits: 512,
    networkHint: null,
    powNonce: null
  }
}

/** `k` distinct indices of [0, n), uniformly (a partial Fisher–Yates shuffle). */
function sampleIndices (rng: RandomSource, n: number, k: number): number[] {
  const idx = Array.from({ length: n }, (_, i) => i)
  for (let i = 0; i < k; i++) {
    const j = i + uniformInt(rng, n - i)
    const t = idx[i] as number
    idx[i] = idx[j] as number
    idx[j] = t
  }
  return idx.slice(0, k)
}

/** Run one seeded workload under one guard policy; see {@link CollusionResult} for what is counted. */
export function simulateCollusion (p: CollusionParams): CollusionResult {
  const turnover = p.honestTurnover ?? 0
  if (!(p.colluding >= 0 && p.colluding <= 1)) throw new RangeError('colluding must be in [0, 1]')
  if (!(turnover >= 0 && turnover <= 1)) throw new RangeError('honestTurnover must be in [0, 1]')
  if (p.users < 2 || p.relays < 4) throw new RangeError('need at least 2 users and 4 relays')
  // Turnover is not part of the stream's name: runs that differ only in it
  // share the relays, the adversary and every first guard set (common random
  // numbers), so their difference is the turnover's doing, not the draw's.
  const rng = seededRandom(`${p.seed}/${p.guards}/${p.colluding}/${p.adversaryCapacity ?? ''}`)
  const honestCapacity = p.honestCapacity ?? DEFAULT_CAPACITY
  const adversaryCapacity = p.adversaryCapacity ?? honestCapacity

  const bad = new Set(sampleIndices(rng, p.relays, Math.round(p.colluding * p.relays)).map(i => `r${i}`))
  const relays = Array.from({ length: p.relays }, (_, i) => relay(`r${i}`, bad.has(`r${i}`) ? adversaryCapacity : honestCapacity))
  const adversaryWeight = weightShare(relays, bad)
  let joined = p.relays
  const churn = (): void => {
    if (turnover === 0) return
    for (let i = 0; i < relays.length; i++) {
      if (bad.has((relays[i] as RelayDescriptor).peerId)) continue
      if (uniformInt(rng, TURNOVER_RESOLUTION) < turnover * TURNOVER_RESOLUTION) relays[i] = relay(`r${joined++}`, honestCapacity)
    }
  }

  const user = (i: number): string => `u${i}`
  const newGuards = (): GuardSet => new GuardSet({ rng })
  let guards: Array<GuardSet | undefined> = Array.from({ length: p.users }, () => p.guards === 'persistent' ? newGuards() : undefined)

  const everObserved = new Set<number>()
  const conversationsEverObserved = new Set<number>()
  const perSessionShare: number[] = []
  const usersObservedByDay: number[] = []
  const conversationsObservedByDay: number[] = []
  const observations: string[] = []
  let firstHops = 0
  let badFirstHops = 0
  let circuits = 0
  let badCircuits = 0
  let observedConversations = 0
  let observedUserSessions = 0

  for (let day = 0; day < p.days; day++) {
    for (let s = 0; s < p.sessionsPerDay; s++) {
      const session = day * p.sessionsPerDay + s
      if (p.guards === 'per-session') guards = guards.map(() => newGuards())
      const firstHopSeen = new Set<number>()
      const observed = new Set<number>() // conversation a is a ↔ a+1
      for (let r = 0; r < p.rendezvousPerSession; r++) {
        for (let a = 0; a < p.users; a++) {
          const b = (a + 1) % p.users
          // Either side may be the one that connects (whoever has something to send).
          const [client, service] = uniformInt(rng, 2) === 0 ? [a, b] : [b, a]
          const cg = guards[client]
          const sg = guards[service]
          const clientPath = choosePath(relays, { self: user(client), rng, ...(cg != null ? { guards: cg } : {}) })
          const rp = clientPath[clientPath.length - 1] as RelayDescriptor
          const servicePath = choosePath(relays, { self: user(service), rng, hops: 2, exclude: [rp.peerId], ...(sg != null ? { guards: sg } : {}) })
          const clientBad = bad.has((clientPath[0] as RelayDescriptor).peerId)
          const serviceBad = bad.has((servicePath[0] as RelayDescriptor).peerId)
          circuits += 2
          badCircuits += (clientBad ? 1 : 0) + (serviceBad ? 1 : 0)
          for (const [who, isBad] of [[client, clientBad], [service, serviceBad]] as const) {
            if (firstHopSeen.has(who)) continue
            firstHopSeen.add(who)
            firstHops++
            if (isBad) badFirstHops++
          }
          if (clientBad && serviceBad) {
            observed.add(a)
            observations.push(`${session}:${a}:${r}`)
          }
        }
        churn()
      }
      const observedUsers = new Set<number>()
      for (const a of observed) {
        const b = (a + 1) % p.users
        observedUsers.add(a).add(b)
        everObserved.add(a).add(b)
        conversationsEverObserved.add(a)
      }
      observedConversations += observed.size
      observedUserSessions += observedUsers.size
      perSessionShare.push(observed.size / p.users)
    }
    usersObservedByDay.push(everObserved.size / p.users)
    conversationsObservedByDay.push(conversationsEverObserved.size / p.users)
  }
  const sessions = p.days * p.sessionsPerDay
  return {
    adversaryWeight,
    firstHopShare: badFirstHops / firstHops,
    circuitFirstHopShare: badCircuits / circuits,
    perSessionShare,
    conversationShare: observedConversations / (p.users * sessions),
    userSessionShare: observedUserSessions / (p.users * sessions),
    usersObservedByDay,
    conversationsObservedByDay,
    observations
  }
}

/** The adversary's share of the path weight, by the path code's own cap (./weights.ts). */
function weightShare (relays: readonly RelayDescriptor[], bad: ReadonlySet<string>): number {
  const cap = weightCap(relays)
  let total = 0
  let adversary = 0
  for (const r of relays) {
    const w = relayWeight(r, cap)
    total += w
    if (bad.has(r.peerId)) adversary += w
  }
  return adversary / total
}
