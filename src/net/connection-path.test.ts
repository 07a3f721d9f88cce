import { describe, expect, it } from 'vitest'
import { pathFromStats } from './connection-path.ts'

function report (entries: Array<Record<string, unknown>>): Map<string, Record<string, unknown>> {
  return new Map(entries.map(e => [String(e.id), e]))
}

describe('connection path from getStats()', () => {
  it('reads the transport\'s selected pair: relayed when either candidate is a TURN relay', () => {
    const stats = report([
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P2' },
      { id: 'P1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', nominated: true, state: 'failed' },
      { id: 'P2', type: 'candidate-pair', localCandidateId: 'L2', remoteCandidateId: 'R2', nominated: true, state: 'succeeded' },
      { id: 'L1', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
      { id: 'R1', type: 'remote-candidate', candidateType: 'host' },
      { id: 'L2', type: 'local-candidate', candidateType: 'relay', protocol: 'udp' },
      { id: 'R2', type: 'remote-candidate', candidateType: 'srflx' }
    ])
    expect(pathFromStats(stats)).toEqual({ local: 'relay', remote: 'srflx', relayed: true, protocol: 'udp' })
  })

  it('falls back to the nominated succeeded pair; direct when neither side is relayed', () => {
    const stats = report([
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R', nominated: true, state: 'succeeded' },
      { id: 'L', type: 'local-candidate', candidateType: 'srflx', protocol: 'udp' },
      { id: 'R', type: 'remote-candidate', candidateType: 'prflx' }
    ])
    expect(pathFromStats(stats)).toMatchObject({ local: 'srflx', remote: 'prflx', relayed: false })
  })

  it('no selected pair yet, or unknown candidate types: null', () => {
    expect(pathFromStats(report([{ id: 'T', type: 'transport' }]))).toBeNull()
    expect(pathFromStats(report([
      { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
      { id: 'L', type: 'local-candidate', candidateType: 'weird' },
      { id: 'R', type: 'remote-candidate', candidateType: 'host' }
    ]))).toBeNull()
  })
})
