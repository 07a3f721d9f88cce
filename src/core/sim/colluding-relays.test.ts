/**
 * Issue #13, "what must be shown": an adversary running a fraction c of the
 * relays, and the share of conversations whose both ends it observes (it is
 * the first hop of both rendezvous circuits; definition and why in
 * ./colluding-relays.ts and docs/notes/colluding-relays.md), per tab session
 * and over 6 days of sessions, with the app's per-session guards, with no
 * guards, and with guards kept for the whole run as Tor keeps them.
 *
 * Tor's expectation with guards is c² per conversation (both ends' guards
 * must be bad; Øverlier & Syverson 2006 showed that without guards an
 * adversary soon becomes the first hop of some circuit of a hidden server,
 * which is why guards exist, guard-spec §1). Guards only help if they last:
 * each new set is a new draw, so per-session guards compound like
 * 1 − (1 − c²)^sessions per conversation (Elahi et al. 2012, "Changing of the
 * guards", on rotation and churn; Johnson et al. 2013, "Users get routed",
 * for Tor users' time to first compromise with guards kept for months).
 * The bounds are 4σ bands or ratios with room to spare, so another seed
 * tests the same claims on other draws (20261203 and 1 both pass).
 *
 * Seeded: SHALLOT_SIM_SEED=<n> npx vitest run src/core/sim/colluding-relays.test.ts
 * replays one; the table is printed on every run.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { simulateCollusion, type CollusionParams, type CollusionResult, type GuardPolicy } from './colluding-relays.ts'

const SEED = process.env.SHALLOT_SIM_SEED ?? '20261203'
const FRACTIONS = [0.01, 0.05, 0.1, 0.2] as const
const POLICIES: readonly GuardPolicy[] = ['per-session', 'none', 'persistent']

/** 500 relays, 200 users on a ring (2 conversations each), 3 rendezvous per conversation per session, 2 sessions a day for 6 days (the CPU budget of a unit test). */
const WORKLOAD: Omit<CollusionParams, 'colluding' | 'guards'> = {
  seed: SEED,
  relays: 500,
  users: 200,
  rendezvousPerSession: 3,
  sessionsPerDay: 2,
  days: 6
}
const SESSIONS = WORKLOAD.sessionsPerDay * WORKLOAD.days
const CONVERSATION_SESSIONS = WORKLOAD.users * SESSIONS

/**
 * Four standard deviations of a share estimated from `n` samples of
 * probability `p`, inflated by `designEffect` when samples are not
 * independent: with guards, a user's guard is shared by its two
 * conversations, so outcomes come in correlated pairs (effect ≤ 2).
 */
function fourSigma (p: number, n: number, designEffect = 1): number {
  return 4 * Math.sqrt(designEffect * p * (1 - p) / n)
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`
const last = (xs: readonly number[]): number => xs[xs.length - 1] as number
const range = (xs: readonly number[]): string => `${pct(Math.min(...xs))}–${pct(Math.max(...xs))}`

function table (results: Map<string, CollusionResult>): string {
  const get = (policy: GuardPolicy, c: number): CollusionResult => results.get(`${policy}/${c}`) as CollusionResult
  const rows = [
    `seed ${SEED}: ${WORKLOAD.relays} relays (equal capacity, adversary chosen uniformly), ${WORKLOAD.users} users × 2 conversations, ` +
      `${WORKLOAD.rendezvousPerSession} rendezvous per conversation per session, ${WORKLOAD.sessionsPerDay} sessions/day × ${WORKLOAD.days} days`,
    '',
    'Per session: conversations observed at both ends (c² is Tor\'s expectation with guards)',
    `| c | first hop bad (guards/session) | c² | guards per session (lowest–highest session) | no guards | 1−(1−c²)^${WORKLOAD.rendezvousPerSession} | guards kept all run |`,
    '|---|---|---|---|---|---|---|'
  ]
  for (const c of FRACTIONS) {
    rows.push(`| ${c} | ${pct(get('per-session', c).firstHopShare)} | ${pct(c * c)} | ${pct(get('per-session', c).conversationShare)} (${range(get('per-session', c).perSessionShare)}) | ` +
      `${pct(get('none', c).conversationShare)} | ${pct(1 - (1 - c * c) ** WORKLOAD.rendezvousPerSession)} | ${pct(get('persistent', c).conversationShare)} |`)
  }
  rows.push('', 'Cumulative: users with at least one conversation observed, after day 1 / 3 / 6 (and per user-session rate q)')
  rows.push(`| c | guards per session | q | no guards | q | guards kept all run | 1−(1−q)^${SESSIONS} (per session, from q) | conversations ever observed (per session) | 1−(1−c²)^${SESSIONS} |`)
  rows.push('|---|---|---|---|---|---|---|---|---|')
  const days = (r: CollusionResult): string => [0, 2, 5].map(d => pct(r.usersObservedByDay[d] as number)).join(' / ')
  for (const c of FRACTIONS) {
    const g = get('per-session', c)
    const n = get('none', c)
    rows.push(`| ${c} | ${days(g)} | ${pct(g.userSessionShare)} | ${days(n)} | ${pct(n.userSessionShare)} | ${days(get('persistent', c))} | ` +
      `${pct(1 - (1 - g.userSessionShare) ** SESSIONS)} | ${pct(last(g.conversationsObservedByDay))} | ${pct(1 - (1 - c * c) ** SESSIONS)} |`)
  }
  return rows.join('\n')
}

describe('colluding relays: conversations observed at both ends', () => {
  const results = new Map<string, CollusionResult>()
  const get = (policy: GuardPolicy, c: number): CollusionResult => results.get(`${policy}/${c}`) as CollusionResult
  beforeAll(() => {
    for (const guards of POLICIES) for (const colluding of FRACTIONS) results.set(`${guards}/${colluding}`, simulateCollusion({ ...WORKLOAD, colluding, guards }))
    console.info(table(results))
  }, 180_000)

  it('with per-session guards, a first hop is the adversary\'s c of the time and a conversation is observed c² of the time', () => {
    for (const c of FRACTIONS) {
      const r = get('per-session', c)
      expect(r.adversaryWeight).toBeCloseTo(c, 10)
      expect(Math.abs(r.firstHopShare - c)).toBeLessThanOrEqual(fourSigma(c, CONVERSATION_SESSIONS))
      expect(Math.abs(r.conversationShare - c * c)).toBeLessThanOrEqual(fourSigma(c * c, CONVERSATION_SESSIONS, 2))
    }
  })

  it('without guards every rendezvous is a new draw: 1 − (1 − c²)^3 per session, outside the guards\' band', () => {
    for (const c of FRACTIONS) {
      const expected = 1 - (1 - c * c) ** WORKLOAD.rendezvousPerSession
      expect(Math.abs(get('none', c).conversationShare - expected)).toBeLessThanOrEqual(fourSigma(expected, CONVERSATION_SESSIONS))
    }
    // The per-session bound above fails for the no-guard runs wherever the sample can tell them apart.
    for (const c of [0.1, 0.2]) expect(Math.abs(get('none', c).conversationShare - c * c)).toBeGreaterThan(fourSigma(c * c, CONVERSATION_SESSIONS, 2))
  })

  it('guards cut what a user exposes per session about 3-fold (the rendezvous a guard covers), and the exposure over the run with them', () => {
    for (const c of [0.1, 0.2]) {
      expect(get('none', c).userSessionShare).toBeGreaterThan(2 * get('per-session', c).userSessionShare)
      expect(last(get('none', c).usersObservedByDay)).toBeGreaterThan(last(get('per-session', c).usersObservedByDay))
    }
  })

  it('per-session guards compound over the days like 1 − (1 − q)^sessions; guards kept for the run do not grow', () => {
    for (const c of [0.1, 0.2]) {
      const g = get('per-session', c)
      const kept = get('persistent', c)
      expect(Math.abs(last(g.usersObservedByDay) - (1 - (1 - g.userSessionShare) ** SESSIONS))).toBeLessThan(0.1)
      expect(last(g.usersObservedByDay) - (g.usersObservedByDay[0] as number)).toBeGreaterThan(0.1)
      // Kept guards: who is observed is decided by the first draw (a second guard
      // is used only when the first is the rendezvous point itself).
      expect(last(kept.usersObservedByDay) - (kept.usersObservedByDay[0] as number)).toBeLessThanOrEqual(0.02)
      expect(last(kept.usersObservedByDay)).toBeLessThan(last(g.usersObservedByDay) / 2)
      // Per conversation: 1 − (1 − c²)^sessions.
      const conversations = 1 - (1 - c * c) ** SESSIONS
      expect(Math.abs(last(g.conversationsObservedByDay) - conversations)).toBeLessThanOrEqual(fourSigma(conversations, WORKLOAD.users, 2))
    }
  })

  it('an adversary lying about capacity gains at most the weight cap: 4c / (1 + 3c) of first hops, not more', () => {
    const c = 0.05
    const liar = simulateCollusion({ ...WORKLOAD, days: 2, colluding: c, guards: 'per-session', adversaryCapacity: 1_000_000 })
    const capped = 4 * c / (1 + 3 * c) // weight cap 4 × the median (100): 400 against 100
    expect(liar.adversaryWeight).toBeCloseTo(capped, 10)
    const n = WORKLOAD.users * 2 * WORKLOAD.sessionsPerDay
    expect(Math.abs(liar.firstHopShare - capped)).toBeLessThanOrEqual(fourSigma(capped, n))
    expect(liar.firstHopShare).toBeGreaterThan(2 * c)
    console.info(`capacity liar, c = ${c}: weight share ${pct(liar.adversaryWeight)}, first hops ${pct(liar.firstHopShare)}, ` +
      `conversations observed per session ${pct(liar.conversationShare)} (capped² = ${pct(capped * capped)}, c² = ${pct(c * c)})`)
  })

  it('honest relays that leave hand the adversary more first hops; guards kept for the run then grow towards its relays', () => {
    // 10% of the honest relays replaced between two rounds of rendezvous; the
    // adversary keeps its relays online. A guard that left is one more draw
    // (Elahi et al. 2012), and the adversary's guards are never the ones that leave.
    const c = 0.1
    const churn = { ...WORKLOAD, days: 3, colluding: c, honestTurnover: 0.1 }
    const perSession = simulateCollusion({ ...churn, guards: 'per-session' })
    const kept = simulateCollusion({ ...churn, guards: 'persistent' })
    const still = get('persistent', c)
    const line = (name: string, r: CollusionResult, days: number): string =>
      `| ${name} | ${pct(r.circuitFirstHopShare)} | ${pct(r.conversationShare)} | ${pct(r.usersObservedByDay[0] as number)} / ${pct(r.usersObservedByDay[days - 1] as number)} |`
    console.info([
      `c = ${c}, ${churn.honestTurnover * 100}% of honest relays replaced between rounds, ${churn.days} days`,
      `| guards | circuits with a bad first hop | conversations observed per session | users observed after day 1 / ${churn.days} |`,
      '|---|---|---|---|',
      line('per session, no turnover', get('per-session', c), churn.days),
      line('per session, turnover', perSession, churn.days),
      line('kept for the run, no turnover', still, churn.days),
      line('kept for the run, turnover', kept, churn.days),
      line('none, turnover irrelevant', get('none', c), churn.days)
    ].join('\n'))
    // `kept` and `still` start from the same relays and the same guards (the
    // seed does not depend on turnover). Only honest guards leave, so a bad
    // guard moves to the front of its list as the honest ones ahead of it go:
    // the first hop tends to the share of users holding any bad guard
    // (1 − (1 − c)³ = 27% at the start, more with every replacement).
    expect(kept.circuitFirstHopShare).toBeGreaterThan(still.circuitFirstHopShare + 0.04)
    expect(kept.circuitFirstHopShare).toBeGreaterThan(perSession.circuitFirstHopShare)
    // Without turnover kept guards do not grow (above); with it they do.
    expect((kept.usersObservedByDay[churn.days - 1] as number) - (kept.usersObservedByDay[0] as number)).toBeGreaterThan(0.05)
  })

  it('is reproducible from its seed', () => {
    const small = { ...WORKLOAD, users: 40, days: 2, colluding: 0.2, guards: 'per-session' as const }
    const a = simulateCollusion(small)
    expect(simulateCollusion(small)).toEqual(a)
    expect(a.observations.length).toBeGreaterThan(0)
    expect(simulateCollusion({ ...small, seed: `${SEED}-other` }).observations).not.toEqual(a.observations)
  })
})
