import { describe, expect, it } from 'vitest'
import { ACK_TIMEOUT_MS, GIVE_UP_MS, Outbox } from './index.ts'

const F = [Uint8Array.of(1), Uint8Array.of(2)]

function setup (): { c: { t: number }, o: Outbox } {
  const c = { t: 1000 }
  return { c, o: new Outbox({ now: () => c.t }) }
}

describe('Outbox', () => {
  it('sends in order, resends when the ACK is overdue, and stops on ACK', () => {
    const { c, o } = setup()
    const a = o.add('aa', F)
    o.add('bb', F)
    expect(a).toMatchObject({ id: 'aa', state: 'sending', queuedAt: 1000, lastSentAt: null, sends: 0 })
    expect(o.due().map((i) => i.id)).toEqual(['aa', 'bb'])
    expect(o.get('aa')).toMatchObject({ state: 'sent', lastSentAt: 1000, sends: 1 })
    expect(o.due()).toEqual([])
    c.t += ACK_TIMEOUT_MS - 1
    expect(o.due()).toEqual([])
    expect(o.acked('bb')?.state).toBe('delivered')
    c.t += 1
    expect(o.due().map((i) => i.id)).toEqual(['aa'])
    expect(o.get('aa')).toMatchObject({ sends: 2, lastSentAt: 1000 + ACK_TIMEOUT_MS })
    expect(o.acked('zz')).toBeNull()
    expect(o.acked('aa')?.state).toBe('delivered')
    c.t += ACK_TIMEOUT_MS * 5
    expect(o.due()).toEqual([])
    expect(o.undelivered()).toEqual([])
    expect(o.get('nope')).toBeNull()
  })

  it('sessionLost puts sent items back to sending', () => {
    const { o } = setup()
    o.add('aa', F)
    o.add('bb', F)
    o.due()
    o.acked('bb')
    o.sessionLost()
    expect(o.get('aa')?.state).toBe('sending')
    expect(o.get('bb')).toBeNull() // acknowledged: forgotten
    expect(o.due().map((i) => i.id)).toEqual(['aa'])
    expect(o.get('aa')?.sends).toBe(2)
  })

  it('expire fails items GIVE_UP_MS after queueing; retry requeues them', () => {
    const { c, o } = setup()
    o.add('aa', F)
    o.due()
    c.t += GIVE_UP_MS / 2
    o.add('bb', F)
    c.t = 1000 + GIVE_UP_MS - 1
    expect(o.expire()).toEqual([])
    c.t += 1
    expect(o.expire().map((i) => i.id)).toEqual(['aa'])
    expect(o.expire()).toEqual([])
    expect(o.get('aa')?.state).toBe('failed')
    expect(o.due().map((i) => i.id)).toEqual(['bb'])
    expect(o.undelivered().map((i) => i.id)).toEqual(['bb'])
    expect(o.retry('bb')).toBeNull() // not failed
    expect(o.retry('zz')).toBeNull()
    const r = o.retry('aa')
    expect(r).toMatchObject({ state: 'sending', queuedAt: c.t })
    expect(o.due().map((i) => i.id)).toEqual(['aa'])
    c.t += GIVE_UP_MS - 1
    expect(o.expire().map((i) => i.id)).toEqual(['bb'])
  })

  it('restore resends sent items and keeps delivered/failed out of due()', () => {
    const { o } = setup()
    o.add('new', F)
    o.restore([
      { id: 'sent', frames: F, queuedAt: 500, state: 'sent' },
      { id: 'sending', frames: F, queuedAt: 600, state: 'sending' },
      { id: 'done', frames: F, queuedAt: 700, state: 'delivered' },
      { id: 'bad', frames: F, queuedAt: 800, state: 'failed' },
      { id: 'new', frames: [], queuedAt: 0, state: 'failed' }
    ])
    expect(o.get('sent')).toMatchObject({ state: 'sending', queuedAt: 500, sends: 0, lastSentAt: null, frames: F })
    expect(o.get('done')?.state).toBe('delivered')
    expect(o.get('bad')?.state).toBe('failed')
    expect(o.get('new')?.state).toBe('sending')
    expect(o.due().map((i) => i.id)).toEqual(['new', 'sent', 'sending'])
    expect(o.retry('bad')?.state).toBe('sending')
  })

  it('nextDeadline is the earliest ACK deadline or give-up', () => {
    const { c, o } = setup()
    expect(o.nextDeadline()).toBeNull()
    o.add('aa', F)
    expect(o.nextDeadline()).toBe(1000 + GIVE_UP_MS)
    c.t = 2000
    o.due()
    expect(o.nextDeadline()).toBe(2000 + ACK_TIMEOUT_MS)
    c.t = 1000 + GIVE_UP_MS - 5000
    o.due()
    expect(o.nextDeadline()).toBe(1000 + GIVE_UP_MS)
    o.acked('aa')
    expect(o.nextDeadline()).toBeNull()
  })

  it('honours custom timeouts and refuses bad ones and duplicate ids', () => {
    const c = { t: 0 }
    const o = new Outbox({ now: () => c.t, ackTimeoutMs: 5, giveUpMs: 20 })
    o.add('aa', F)
    o.due()
    c.t = 5
    expect(o.due()).toHaveLength(1)
    c.t = 20
    expect(o.expire()).toHaveLength(1)
    expect(() => o.add('aa', F)).toThrow(RangeError)
    expect(() => new Outbox({ now: () => 0, ackTimeoutMs: 0 })).toThrow(RangeError)
  })
})

describe('Outbox review fixes', () => {
  it('forgets a message once it is acknowledged (memory stays bounded by what is undelivered)', () => {
    const o = new Outbox({ now: () => 0 })
    o.add('aa', [Uint8Array.of(1)])
    o.due()
    expect(o.acked('aa')?.state).toBe('delivered')
    expect(o.get('aa')).toBeNull()
    expect(o.size).toBe(0)
    expect(o.acked('aa')).toBeNull() // a late duplicate ACK changes nothing
  })

  it('requeue(): a message whose frames could not all be written goes back to sending', () => {
    const o = new Outbox({ now: () => 0 })
    o.add('aa', [Uint8Array.of(1)])
    expect(o.due()).toHaveLength(1)
    expect(o.requeue('aa')?.state).toBe('sending')
    expect(o.due().map(i => i.id)).toEqual(['aa'])
    o.acked('aa')
    expect(o.requeue('aa')).toBeNull()
  })
})
