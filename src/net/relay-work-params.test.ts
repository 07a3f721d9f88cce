import { describe, expect, it } from 'vitest'
import { RelayWorkAnnouncements, type AnnouncedEfforts } from './relay-work-params.ts'

describe('RelayWorkAnnouncements', () => {
  it('publishes with the strictest seed, accepts what the most lenient takes, and forgets a dropped seed', () => {
    const a = new RelayWorkAnnouncements()
    const heard: AnnouncedEfforts[] = []
    a.subscribe(e => heard.push(e))
    expect(a.efforts()).toBeNull()
    expect(a.due('seed1')).toBe(true)
    a.accept('seed1', 3_000_000)
    a.accept('seed2', 1024)
    expect(a.due('seed1')).toBe(false)
    expect(a.efforts()).toEqual({ publish: 3_000_000, accept: 1024 })
    expect(heard).toEqual([{ publish: 3_000_000, accept: 3_000_000 }, { publish: 3_000_000, accept: 1024 }])
    a.forget('seed1') // a new connection: ask again, the last answer still counts meanwhile
    expect(a.due('seed1')).toBe(true)
    expect(a.efforts()).toEqual({ publish: 3_000_000, accept: 1024 })
    a.drop('seed2')
    expect(a.efforts()).toEqual({ publish: 3_000_000, accept: 3_000_000 })
  })
})
