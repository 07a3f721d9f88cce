/**
 * Descriptors of services reached lately: reconnecting after a relay left
 * need not ask the HSDirs again (which costs a fetch and tells them again
 * that someone looks for this service). Entries go after
 * DESCRIPTOR_CACHE_MS, and never outlive the descriptor's own expiry, so a
 * stale list of introduction points is not used for long.
 */
import { toHex } from '../../core/bytes.ts'
import type { HsDescriptorContent } from '../../core/rendezvous/index.ts'
import { DESCRIPTOR_CACHE_MS } from './constants.ts'

export class DescriptorCache {
  private readonly entries = new Map<string, { content: HsDescriptorContent, at: number }>()
  get (key: Uint8Array, now: number): HsDescriptorContent | null {
    const e = this.entries.get(toHex(key))
    if (e == null || now - e.at > DESCRIPTOR_CACHE_MS || e.content.expires <= now) return null
    return e.content
  }

  set (key: Uint8Array, content: HsDescriptorContent, now: number): void { this.entries.set(toHex(key), { content, at: now }) }
  forget (key: Uint8Array): void { this.entries.delete(toHex(key)) }
}
