import { describe, expect, it } from 'vitest'
import { RELAY_DATA_MAX } from '../cell/relay.ts'
import {
  E2E_FRAME_LEN, E2E_PAYLOAD_MAX, HS_DESCRIPTOR_LIFETIME_MS, HS_DESCRIPTOR_MAX, HS_PERIOD_MS, HS_PERIOD_OVERLAP_MS, hsPeriod, lookupPeriods,
  publishPeriods, RENDEZVOUS_REPLY_LEN
} from './constants.ts'

describe('time periods (spec §2)', () => {
  const start = 500_000 * HS_PERIOD_MS
  it('period(now) = floor(now / HS_PERIOD_MS)', () => {
    expect(hsPeriod(start)).toBe(500_000)
    expect(hsPeriod(start - 1)).toBe(499_999)
    expect(hsPeriod(start + HS_PERIOD_MS - 1)).toBe(500_000)
  })
  it('services publish for the next period in the last overlap only', () => {
    expect(publishPeriods(start)).toEqual([500_000])
    expect(publishPeriods(start + HS_PERIOD_MS / 2)).toEqual([500_000])
    expect(publishPeriods(start + HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS - 1)).toEqual([500_000])
    expect(publishPeriods(start + HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS)).toEqual([500_000, 500_001])
    expect(publishPeriods(start + HS_PERIOD_MS - 1)).toEqual([500_000, 500_001])
  })
  it('clients look up the current period first, and the adjacent one within an overlap', () => {
    expect(lookupPeriods(start)).toEqual([500_000, 499_999])
    expect(lookupPeriods(start + HS_PERIOD_OVERLAP_MS - 1)).toEqual([500_000, 499_999])
    expect(lookupPeriods(start + HS_PERIOD_OVERLAP_MS)).toEqual([500_000])
    expect(lookupPeriods(start + HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS)).toEqual([500_000, 500_001])
  })
  it('sizes agree with the spec and the cell layer', () => {
    expect(E2E_FRAME_LEN).toBe(RELAY_DATA_MAX)
    expect(E2E_PAYLOAD_MAX).toBe(E2E_FRAME_LEN - 16 - 2)
    // HSDIR_FOUND is a flag byte and a descriptor, in one relay cell.
    expect(HS_DESCRIPTOR_MAX + 1).toBe(RELAY_DATA_MAX)
    expect(RENDEZVOUS_REPLY_LEN).toBe(64) // Y | HMAC-SHA256 key confirmation (spec §6)
    expect(HS_DESCRIPTOR_LIFETIME_MS).toBe(2 * HS_PERIOD_MS)
  })
})
