import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import {
  BACKUP_HEADER_LEN, BackupError, DEFAULT_KDF_PARAMS, KDF_FLOOR, NotABackupError, TamperedBackupError, TruncatedBackupError,
  UnsupportedBackupVersionError, UnsupportedKdfError, WeakKdfParamsError, WrongPassphraseError, decryptBackup,
  ed25519PublicKeyFromSeed, encryptBackup, inspectBackup, pkcs8FromSeed, seedFromPkcs8, type BackupContents, type KdfParams
} from './index.ts'
import { sha256 } from '@noble/hashes/sha2.js'

/** Weak parameters for speed; only usable with the explicit test override. */
const FAST: KdfParams = { logN: 10, r: 8, p: 1 }
const TEST = { unsafeAllowWeakKdfForTests: true } as const

function contents (seedLabel = 'alice'): BackupContents {
  const seed = seededRandom(seedLabel)(32)
  return { seed, publicKey: ed25519PublicKeyFromSeed(seed), displayName: 'Alice Liddell', createdAt: 1_700_000_000_123 }
}

async function fastBackup (pass = 'correct horse battery staple', c = contents()): Promise<Uint8Array> {
  return await encryptBackup(c, pass, { params: FAST, random: seededRandom('backup'), ...TEST })
}

/** Recompute the trailing checksum, so a test can tamper with the body and reach the AEAD check. */
function refreshChecksum (file: Uint8Array): Uint8Array {
  const out = file.slice()
  out.set(sha256(out.subarray(0, out.length - 32)), out.length - 32)
  return out
}

describe('identity backup', () => {
  it('round-trips seed, public key, name and creation time', async () => {
    const c = contents()
    const file = await fastBackup('pässwörd ✓', c)
    const back = await decryptBackup(file, 'pässwörd ✓', TEST)
    expect(back).toEqual(c)
  })

  it('normalises the passphrase (NFC), so composed and decomposed forms match', async () => {
    const file = await fastBackup('caf\u00e9')
    await expect(decryptBackup(file, 'cafe\u0301', TEST)).resolves.toBeDefined()
  })

  it('contains nothing readable: no name, no key bytes', async () => {
    const c = contents()
    const file = await fastBackup('pw', c)
    const hex = Buffer.from(file).toString('hex')
    expect(Buffer.from(file).includes(Buffer.from('Alice'))).toBe(false)
    expect(hex.includes(Buffer.from(c.seed).toString('hex'))).toBe(false)
    expect(hex.includes(Buffer.from(c.publicKey).toString('hex'))).toBe(false)
  })

  it('records the KDF parameters in the header and reports progress', async () => {
    const progress: number[] = []
    const file = await encryptBackup(contents(), 'pw', { params: FAST, ...TEST, onProgress: (f) => progress.push(f) })
    expect(inspectBackup(file, TEST).params).toEqual(FAST)
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.at(-1)).toBe(1)
  })

  it('defaults are at or above the floor (N ≥ 2^15, r ≥ 8, p ≥ 1)', () => {
    expect(KDF_FLOOR).toEqual({ logN: 15, r: 8, p: 1 })
    expect(DEFAULT_KDF_PARAMS.logN).toBeGreaterThanOrEqual(KDF_FLOOR.logN)
    expect(DEFAULT_KDF_PARAMS.r).toBeGreaterThanOrEqual(KDF_FLOOR.r)
  })

  it('at the floor itself (no override) the round trip works', async () => {
    const file = await encryptBackup(contents(), 'pw', { params: KDF_FLOOR })
    await expect(decryptBackup(file, 'pw')).resolves.toMatchObject({ displayName: 'Alice Liddell' })
  })

  it('the importer enforces the floor: a file with weaker parameters is refused without the override', async () => {
    for (const weak of [{ logN: 14, r: 8, p: 1 }, { logN: 15, r: 4, p: 1 }, FAST]) {
      const file = await encryptBackup(contents(), 'pw', { params: weak, ...TEST })
      await expect(decryptBackup(file, 'pw')).rejects.toBeInstanceOf(WeakKdfParamsError)
      expect(() => inspectBackup(file)).toThrow(WeakKdfParamsError)
    }
  })

  it('the creator enforces the floor too, unless overridden', async () => {
    await expect(encryptBackup(contents(), 'pw', { params: FAST })).rejects.toBeInstanceOf(WeakKdfParamsError)
  })

  it('refuses parameters above the ceiling (a hostile file cannot allocate gigabytes)', async () => {
    const file = await fastBackup()
    file[10] = 24 // logN
    await expect(decryptBackup(refreshChecksum(file), 'pw', TEST)).rejects.toBeInstanceOf(UnsupportedKdfError)
    const file2 = await fastBackup()
    file2[9] = 2 // unknown KDF id
    await expect(decryptBackup(refreshChecksum(file2), 'pw', TEST)).rejects.toBeInstanceOf(UnsupportedKdfError)
  })

  it('wrong passphrase → WrongPassphraseError', async () => {
    const file = await fastBackup('right')
    const err = await decryptBackup(file, 'wrong', TEST).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WrongPassphraseError)
    expect(err).toBeInstanceOf(BackupError)
    expect((err as BackupError).reason).toBe('wrong-passphrase')
    expect((err as Error).message).toMatch(/wrong passphrase/i)
  })

  it('any flipped bit → TamperedBackupError (checksum)', async () => {
    const file = await fastBackup('pw')
    for (const pos of [0, 8, 10, 13, 50, BACKUP_HEADER_LEN, file.length - 40, file.length - 1]) {
      const t = file.slice()
      t[pos] = (t[pos] as number) ^ 0x01
      const err = await decryptBackup(t, 'pw', TEST).catch((e: unknown) => e)
      expect(err, `byte ${pos}`).toBeInstanceOf(BackupError)
      if (pos >= 9) expect(err, `byte ${pos}`).toBeInstanceOf(TamperedBackupError)
    }
  })

  it('tampering that also fixes the checksum is still caught by the AEAD (header is AAD)', async () => {
    const file = await fastBackup('pw')
    for (const pos of [13, 45, BACKUP_HEADER_LEN + 3, BACKUP_HEADER_LEN + 100]) {
      const t = file.slice()
      t[pos] = (t[pos] as number) ^ 0x80
      await expect(decryptBackup(refreshChecksum(t), 'pw', TEST), `byte ${pos}`).rejects.toBeInstanceOf(WrongPassphraseError)
    }
  })

  it('truncated at any length → TruncatedBackupError (or NotABackup for nothing at all)', async () => {
    const file = await fastBackup('pw')
    await expect(decryptBackup(file.subarray(0, 0), 'pw', TEST)).rejects.toBeInstanceOf(NotABackupError)
    for (let len = 1; len < file.length; len += 7) {
      await expect(decryptBackup(file.subarray(0, len), 'pw', TEST), `length ${len}`).rejects.toBeInstanceOf(TruncatedBackupError)
    }
    await expect(decryptBackup(file.subarray(0, file.length - 1), 'pw', TEST)).rejects.toBeInstanceOf(TruncatedBackupError)
  })

  it('trailing bytes → TamperedBackupError', async () => {
    const file = await fastBackup('pw')
    const longer = new Uint8Array(file.length + 1)
    longer.set(file)
    await expect(decryptBackup(longer, 'pw', TEST)).rejects.toBeInstanceOf(TamperedBackupError)
  })

  it('another format → NotABackupError', async () => {
    for (const text of ['{"hello":"world"}', '%PDF-1.7', 'PK\u0003\u0004', 'SHLTBKUX\u0001']) {
      await expect(decryptBackup(new TextEncoder().encode(text), 'pw', TEST)).rejects.toBeInstanceOf(NotABackupError)
    }
  })

  it('future version → UnsupportedBackupVersionError naming the version', async () => {
    const file = await fastBackup('pw')
    file[8] = 2
    const err = await decryptBackup(refreshChecksum(file), 'pw', TEST).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(UnsupportedBackupVersionError)
    expect((err as UnsupportedBackupVersionError).version).toBe(2)
    expect((err as Error).message).toMatch(/version 2/)
  })
})

describe('Ed25519 PKCS#8 (RFC 8410) with Web Crypto', () => {
  it('a seed wrapped as PKCS#8 imports into Web Crypto and signs verifiably; export yields the same seed', async () => {
    const seed = seededRandom('pkcs8')(32)
    const der = pkcs8FromSeed(seed)
    const key = await crypto.subtle.importKey('pkcs8', der as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, true, ['sign'])
    const exported = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key))
    expect(seedFromPkcs8(exported)).toEqual(seed)
    expect(() => seedFromPkcs8(exported.subarray(1))).toThrow(RangeError)
  })
})
