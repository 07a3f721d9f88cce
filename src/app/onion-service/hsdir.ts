/**
 * HSDir access (docs/RENDEZVOUS.md §4–5): store a descriptor at, and fetch
 * descriptors from, the relays responsible for a descriptor id, each over a
 * fresh circuit (or this tab's own directory when it is one of them). The
 * threat: an HSDir is untrusted. It may answer slowly, never, or with
 * garbage; it may send descriptors without end to make us hold and check
 * them. Descriptors are checked by the caller (openHsDescriptor), the
 * number per answer is bounded here.
 */
import type { RelayInfo } from '../../core/circuit/router.ts'
import { RelayCommand } from '../../core/cell/index.ts'
import { MalformedCellError } from '../../core/errors.ts'
import { ControlStatus, decodeHsdirFound, decodeStatus, encodeHsdirFetch, HSDIR_KEYS_PER_ID } from '../../core/rendezvous/index.ts'
import type { OnionService } from '../onion/index.ts'
import { HSDIR_FETCH_TIMEOUT_MS } from './constants.ts'
import { ServiceUnreachableError } from './errors.ts'

/** Store `descriptor` at `dir`; true when it took it. */
export async function storeAt (onion: OnionService, dir: RelayInfo, descriptor: Uint8Array): Promise<boolean> {
  const self = onion.selfRelay
  if (self != null && dir.peerId === self.peerId) return onion.hsdir.store(descriptor)
  const circuit = await onion.buildCircuitTo(dir)
  try {
    const status = decodeStatus(await circuit.request(RelayCommand.HSDIR_STORE, descriptor, RelayCommand.HSDIR_STORED))
    return status === ControlStatus.OK
  } finally {
    circuit.destroy()
  }
}

/** Store `descriptor` at every one of `dirs` at once; how many took it. */
export async function storeAtAll (onion: OnionService, dirs: readonly RelayInfo[], descriptor: Uint8Array): Promise<number> {
  const results = await Promise.allSettled(dirs.map(async (dir) => await storeAt(onion, dir, descriptor)))
  return results.filter(r => r.status === 'fulfilled' && r.value).length
}

/** The descriptors `dir` holds under `descId` (unchecked). */
export async function fetchAt (onion: OnionService, dir: RelayInfo, descId: Uint8Array): Promise<Uint8Array[]> {
  const self = onion.selfRelay
  if (self != null && dir.peerId === self.peerId) return onion.hsdir.fetch(descId)
  const circuit = await onion.buildCircuitTo(dir)
  try {
    return await new Promise<Uint8Array[]>((resolve, reject) => {
      const found = new HsdirFoundCollector()
      const timer = setTimeout(() => { reject(new ServiceUnreachableError('The directory did not answer.')) }, HSDIR_FETCH_TIMEOUT_MS)
      circuit.onClose((err) => { clearTimeout(timer); reject(err) })
      circuit.onControl((command, data) => {
        if (command !== RelayCommand.HSDIR_FOUND) return
        try {
          const out = found.offer(data)
          if (out != null) { clearTimeout(timer); resolve(out) }
        } catch (err) { clearTimeout(timer); reject(err as Error) }
      })
      circuit.sendControl(RelayCommand.HSDIR_FETCH, encodeHsdirFetch(descId))
    })
  } finally {
    circuit.destroy()
  }
}

/**
 * The HSDIR_FOUND cells answering one HSDIR_FETCH (docs/RENDEZVOUS.md §5): the
 * descriptors until `more` = 0. An HSDir holds at most HSDIR_KEYS_PER_ID per
 * id (§4), so one that sends more is broken or hostile (it could otherwise
 * make us hold and check descriptors without end): MalformedCellError.
 */
export class HsdirFoundCollector {
  private readonly out: Uint8Array[] = []
  private done = false

  /** Feed one HSDIR_FOUND body; the descriptors once the last one came, else null. */
  offer (data: Uint8Array): Uint8Array[] | null {
    if (this.done) return null
    const { more, descriptor } = decodeHsdirFound(data)
    if (descriptor != null) {
      if (this.out.length >= HSDIR_KEYS_PER_ID) throw new MalformedCellError('HSDIR_FOUND: more descriptors than an HSDir keeps per id')
      this.out.push(descriptor)
    }
    if (more) return null
    this.done = true
    return this.out
  }
}
