import { describe, expect, it } from 'vitest'
import { MAX_CELLS_PER_CHANNEL_QUEUE, MAX_CELLS_PER_CIRCUIT_QUEUE } from '../channel/limits.ts'
import { DEFAULT_ROUTER_LIMITS } from './limits.ts'

describe('DEFAULT_ROUTER_LIMITS', () => {
  it('is frozen and self-consistent with the channel queue bounds', () => {
    expect(Object.isFrozen(DEFAULT_ROUTER_LIMITS)).toBe(true)
    expect(DEFAULT_ROUTER_LIMITS.circuitWindow).toBe(1000)
    expect(DEFAULT_ROUTER_LIMITS.sendmeIncrement).toBe(100)
    expect(MAX_CELLS_PER_CIRCUIT_QUEUE).toBeGreaterThanOrEqual(DEFAULT_ROUTER_LIMITS.circuitWindow)
    expect(MAX_CELLS_PER_CHANNEL_QUEUE).toBeGreaterThanOrEqual(MAX_CELLS_PER_CIRCUIT_QUEUE)
    expect(DEFAULT_ROUTER_LIMITS.createBurst).toBeGreaterThanOrEqual(DEFAULT_ROUTER_LIMITS.createRatePerSecond)
  })
})
