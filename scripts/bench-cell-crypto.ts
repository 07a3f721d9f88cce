// Micro-bench of circuit crypto in Node: cells/s through 3 hops, each way
// (client → hop 2 through hops 0, 1, 2; hop 2 → client through hops 1, 0),
// CGO (what the router uses) against tor1 (the test-only reference it
// replaced, src/core/crypto/testing/tor1.ts), on the same machine and sitting.
//   npx tsx scripts/bench-cell-crypto.ts [cells]
// Prints the median of 3 runs per scheme.
import { CGO_KEY_MATERIAL_LEN, CgoClientCircuitCrypto, CgoRelayCircuitCrypto, cgoShape } from '../src/core/crypto/cgo.ts'
import { RELAY_BODY_LEN } from '../src/core/cell/index.ts'
import { LinkCommand } from '../src/core/cell/index.ts'

interface Scheme {
  name: string
  circuit: () => { out: (b: Uint8Array) => void, in: (b: Uint8Array) => void }
}

const rnd = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n))
const AD = LinkCommand.RELAY

const cgo: Scheme = {
  name: 'CGO',
  circuit () {
    const shape = cgoShape(RELAY_BODY_LEN)
    const client = new CgoClientCircuitCrypto(shape)
    const relays: CgoRelayCircuitCrypto[] = []
    for (let i = 0; i < 3; i++) { const m = rnd(CGO_KEY_MATERIAL_LEN); client.addHop(m); relays.push(new CgoRelayCircuitCrypto(m, shape)) }
    const [r0, r1, r2] = relays as [CgoRelayCircuitCrypto, CgoRelayCircuitCrypto, CgoRelayCircuitCrypto]
    return {
      out (b) { client.encryptOutbound(b, 2, AD); if (r0.decryptOutbound(b, AD) || r1.decryptOutbound(b, AD) || !r2.decryptOutbound(b, AD)) throw new Error('bench: misrouted') },
      in (b) { r2.originateInbound(b, AD); r1.forwardInbound(b, AD); r0.forwardInbound(b, AD); if (client.decryptInbound(b, AD) !== 2) throw new Error('bench: misrouted') }
    }
  }
}

const schemes: Scheme[] = [cgo]
try {
  const tor1 = await import('../src/core/crypto/testing/tor1.ts')
  schemes.unshift({
    name: 'tor1 (noble SHA-256)',
    circuit () {
      const client = new tor1.ClientCircuitCrypto()
      const relays = [0, 1, 2].map(() => { const m = rnd(tor1.RELAY_KEY_MATERIAL_LEN); client.addHop(m); return new tor1.RelayCircuitCrypto(m) })
      const [r0, r1, r2] = relays as [typeof relays[0], typeof relays[0], typeof relays[0]]
      return {
        out (b) { b[1] = 0; b[2] = 0; client.encryptOutbound(b, 2); if (r0.decryptOutbound(b) || r1.decryptOutbound(b) || !r2.decryptOutbound(b)) throw new Error('bench: misrouted') },
        in (b) { b[1] = 0; b[2] = 0; r2.originateInbound(b); r1.forwardInbound(b); r0.forwardInbound(b); if (client.decryptInbound(b) !== 2) throw new Error('bench: misrouted') }
      }
    }
  })
} catch (err) { process.stderr.write(`tor1 reference not loaded: ${String(err)}\n`) }

function run (s: Scheme, cells: number): { out: number, in: number } {
  const c = s.circuit()
  const body = rnd(RELAY_BODY_LEN)
  let t = performance.now()
  for (let i = 0; i < cells; i++) c.out(body)
  const out = cells / ((performance.now() - t) / 1000)
  t = performance.now()
  for (let i = 0; i < cells; i++) c.in(body)
  return { out, in: cells / ((performance.now() - t) / 1000) }
}

const cells = Number(process.argv[2] ?? 20000)
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[1] as number
for (const s of schemes) {
  run(s, 2000) // warm-up
  const runs = [run(s, cells), run(s, cells), run(s, cells)]
  process.stdout.write(`${s.name}: outbound ${Math.round(median(runs.map(r => r.out)))} cells/s, inbound ${Math.round(median(runs.map(r => r.in)))} cells/s (3 hops, median of 3 × ${cells} cells)\n`)
}
