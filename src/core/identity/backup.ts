/**
 * The identity backup file: the Ed25519 seed, public key, display name and
 * creation time, encrypted under a passphrase.
 *
 *   key  = scrypt(NFC(passphrase), salt, N = 2^logN, r, p, dkLen = 32)   (RFC 7914)
 *   body = XChaCha20-Poly1305(key, 24-byte nonce, plaintext, AAD = header) (draft-irtf-cfrg-xchacha-03)
 *
 * Layout (big-endian; docs/IDENTITY.md has the table):
 *
 *   0   8   magic "SHLTBKUP"
 *   8   1   format version (1)
 *   9   1   KDF id (1 = scrypt)
 *   10  1   log2(N)
 *   11  1   r
 *   12  1   p
 *   13  32  salt
 *   45  24  nonce
 *   69  4   ciphertext length L
 *   73  L   ciphertext (plaintext + 16-byte Poly1305 tag)
 *   73+L 32 SHA-256 of bytes [0, 73+L)
 *
 * The header (bytes [0, 73)) is the AEAD's associated data, so changing any KDF
 * parameter, the salt or the nonce makes decryption fail. The trailing SHA-256
 * is not a security measure (anyone can recompute it); it only lets the
 * importer tell a damaged file from a wrong passphrase. Nothing in the file is
 * readable without the passphrase: the name and creation time are inside the
 * ciphertext.
 *
 * Plaintext: seed (32) ‖ public key (32) ‖ createdAt ms (u64) ‖ name length (u16) ‖ UTF-8 name.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { ByteReader, concatBytes, ctEqual, writeU16, writeU32 } from '../bytes.ts'
import { systemRandom, type RandomSource } from '../random.ts'
import {
  NotABackupError, TamperedBackupError, TruncatedBackupError, UnsupportedBackupVersionError,
  UnsupportedKdfError, WeakKdfParamsError, WrongPassphraseError
} from './errors.ts'
import { ED25519_PUBLIC_KEY_LEN, ED25519_SEED_LEN, ed25519PublicKeyFromSeed } from './keys.ts'
import { MAX_DISPLAY_NAME_BYTES, normalizeDisplayName, passphraseBytes } from './names.ts'

export const BACKUP_MAGIC = new TextEncoder().encode('SHLTBKUP')
export const BACKUP_VERSION = 1
export const KDF_SCRYPT = 1
export const BACKUP_SALT_LEN = 32
export const BACKUP_NONCE_LEN = 24
export const BACKUP_TAG_LEN = 16
export const BACKUP_CHECKSUM_LEN = 32
export const BACKUP_HEADER_LEN = 8 + 1 + 1 + 3 + BACKUP_SALT_LEN + BACKUP_NONCE_LEN + 4 // 73
/** Largest plaintext: seed, public key, time, name length, longest name. */
const MAX_PLAINTEXT = ED25519_SEED_LEN + ED25519_PUBLIC_KEY_LEN + 8 + 2 + MAX_DISPLAY_NAME_BYTES
const MIN_PLAINTEXT = ED25519_SEED_LEN + ED25519_PUBLIC_KEY_LEN + 8 + 2 + 1
/** Largest backup file this format can produce; the importer refuses anything bigger before reading it. */
export const MAX_BACKUP_BYTES = BACKUP_HEADER_LEN + MAX_PLAINTEXT + BACKUP_TAG_LEN + BACKUP_CHECKSUM_LEN

/** scrypt cost parameters (RFC 7914 §2): N = 2^logN (CPU/memory cost), r (block size), p (parallelism). */
export interface KdfParams { readonly logN: number, readonly r: number, readonly p: number }

/**
 * Defaults for new backups: N = 2^17, r = 8, p = 1 (128 MiB, about 1 s in a
 * browser with noble's scrypt; RFC 7914 §2 suggests r = 8, p = 1).
 */
export const DEFAULT_KDF_PARAMS: KdfParams = { logN: 17, r: 8, p: 1 }
/** The importer's floor: anything weaker is refused with WeakKdfParamsError. */
export const KDF_FLOOR: KdfParams = { logN: 15, r: 8, p: 1 }
/** The importer's ceiling, so that a hostile file cannot make the tab allocate gigabytes or run for minutes. */
export const KDF_CEILING = { logN: 20, r: 16, p: 4, memoryBytes: 256 * 1024 * 1024 } as const

export interface BackupContents {
  /** Ed25519 private key seed (RFC 8032 §5.1.5). */
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
  readonly displayName: string
  /** Creation time, ms since the Unix epoch. */
  readonly createdAt: number
}

export interface BackupHeader {
  readonly version: number
  readonly params: KdfParams
  readonly salt: Uint8Array
  readonly nonce: Uint8Array
  readonly ciphertextLength: number
}

export interface KdfOptions {
  /** Called with a fraction in [0, 1] while scrypt runs. */
  onProgress?: (fraction: number) => void
  /**
   * TESTS ONLY: accept KDF parameters below {@link KDF_FLOOR}. The app never
   * sets it; the floor itself is tested without it.
   */
  unsafeAllowWeakKdfForTests?: boolean
}

export interface EncryptBackupOptions extends KdfOptions {
  params?: KdfParams
  random?: RandomSource
}

function checkParams (params: KdfParams, allowWeak: boolean): void {
  const { logN, r, p } = params
  if (![logN, r, p].every(v => Number.isInteger(v) && v >= 1 && v <= 255)) throw new UnsupportedKdfError()
  if (logN > KDF_CEILING.logN || r > KDF_CEILING.r || p > KDF_CEILING.p || 128 * r * 2 ** logN > KDF_CEILING.memoryBytes) throw new UnsupportedKdfError()
  if (!allowWeak && (logN < KDF_FLOOR.logN || r < KDF_FLOOR.r || p < KDF_FLOOR.p)) throw new WeakKdfParamsError()
}

async function deriveKey (passphrase: string, salt: Uint8Array, params: KdfParams, onProgress?: (f: number) => void): Promise<Uint8Array> {
  return await scryptAsync(passphraseBytes(passphrase), salt, {
    N: 2 ** params.logN,
    r: params.r,
    p: params.p,
    dkLen: 32,
    maxmem: KDF_CEILING.memoryBytes + 1024 * 1024,
    asyncTick: 10,
    ...(onProgress != null ? { onProgress } : {})
  })
}

function encodePlaintext (c: BackupContents): Uint8Array {
  const name = normalizeDisplayName(c.displayName)
  if (name == null) throw new RangeError('invalid display name')
  if (c.seed.length !== ED25519_SEED_LEN || c.publicKey.length !== ED25519_PUBLIC_KEY_LEN) throw new RangeError('bad key length')
  if (!Number.isSafeInteger(c.createdAt) || c.createdAt < 0) throw new RangeError('bad creation time')
  const nameBytes = new TextEncoder().encode(name)
  const fixed = new Uint8Array(8 + 2)
  writeU32(fixed, 0, Math.floor(c.createdAt / 2 ** 32))
  writeU32(fixed, 4, c.createdAt >>> 0)
  writeU16(fixed, 8, nameBytes.length)
  return concatBytes(c.seed, c.publicKey, fixed, nameBytes)
}

function decodePlaintext (pt: Uint8Array): BackupContents {
  try {
    const r = new ByteReader(pt, 'backup plaintext')
    const seed = r.bytes(ED25519_SEED_LEN)
    const publicKey = r.bytes(ED25519_PUBLIC_KEY_LEN)
    const createdAt = r.u32() * 2 ** 32 + r.u32()
    const nameLen = r.u16()
    const nameBytes = r.bytes(nameLen)
    r.end()
    const displayName = normalizeDisplayName(new TextDecoder('utf-8', { fatal: true }).decode(nameBytes))
    if (displayName == null || !Number.isSafeInteger(createdAt)) throw new Error('bad field')
    if (!ctEqual(ed25519PublicKeyFromSeed(seed), publicKey)) throw new Error('key mismatch')
    return { seed, publicKey, displayName, createdAt }
  } catch {
    // Authenticated, yet inconsistent: written by something other than Shallot.
    throw new TamperedBackupError('The backup decrypted, but its contents are not a valid Shallot identity.')
  }
}

/** Encrypt a backup file. Rejects parameters below the floor unless the test override is set. */
export async function encryptBackup (contents: BackupContents, passphrase: string, opts: EncryptBackupOptions = {}): Promise<Uint8Array> {
  const params = opts.params ?? DEFAULT_KDF_PARAMS
  checkParams(params, opts.unsafeAllowWeakKdfForTests === true)
  const random = opts.random ?? systemRandom
  const salt = random(BACKUP_SALT_LEN)
  const nonce = random(BACKUP_NONCE_LEN)
  const plaintext = encodePlaintext(contents)
  const header = new Uint8Array(BACKUP_HEADER_LEN)
  header.set(BACKUP_MAGIC, 0)
  header[8] = BACKUP_VERSION
  header[9] = KDF_SCRYPT
  header[10] = params.logN
  header[11] = params.r
  header[12] = params.p
  header.set(salt, 13)
  header.set(nonce, 13 + BACKUP_SALT_LEN)
  writeU32(header, 13 + BACKUP_SALT_LEN + BACKUP_NONCE_LEN, plaintext.length + BACKUP_TAG_LEN)
  const key = await deriveKey(passphrase, salt, params, opts.onProgress)
  const ciphertext = xchacha20poly1305(key, nonce, header).encrypt(plaintext)
  key.fill(0)
  plaintext.fill(0)
  const body = concatBytes(header, ciphertext)
  return concatBytes(body, sha256(body))
}

/**
 * Parse and check everything that can be checked without the passphrase, in
 * this order: format (magic), version, length, checksum, KDF parameters.
 */
export function inspectBackup (file: Uint8Array, opts: Pick<KdfOptions, 'unsafeAllowWeakKdfForTests'> = {}): BackupHeader {
  const magicLen = Math.min(file.length, BACKUP_MAGIC.length)
  if (!ctEqual(file.subarray(0, magicLen), BACKUP_MAGIC.subarray(0, magicLen))) throw new NotABackupError()
  if (file.length === 0) throw new NotABackupError('The backup file is empty.')
  if (file.length < BACKUP_MAGIC.length + 1) throw new TruncatedBackupError()
  const version = file[8] as number
  if (version !== BACKUP_VERSION) throw new UnsupportedBackupVersionError(version)
  if (file.length > MAX_BACKUP_BYTES) throw new TamperedBackupError('The backup file is larger than any Shallot backup.')
  if (file.length < BACKUP_HEADER_LEN) throw new TruncatedBackupError()
  const r = new ByteReader(file, 'backup')
  r.bytes(9)
  const kdf = r.u8()
  const params: KdfParams = { logN: r.u8(), r: r.u8(), p: r.u8() }
  const salt = r.bytes(BACKUP_SALT_LEN)
  const nonce = r.bytes(BACKUP_NONCE_LEN)
  const ciphertextLength = r.u32()
  if (file.length < BACKUP_HEADER_LEN + ciphertextLength + BACKUP_CHECKSUM_LEN) throw new TruncatedBackupError()
  if (file.length > BACKUP_HEADER_LEN + ciphertextLength + BACKUP_CHECKSUM_LEN) throw new TamperedBackupError()
  const bodyLen = BACKUP_HEADER_LEN + ciphertextLength
  if (!ctEqual(sha256(file.subarray(0, bodyLen)), file.subarray(bodyLen))) throw new TamperedBackupError()
  if (ciphertextLength < MIN_PLAINTEXT + BACKUP_TAG_LEN || ciphertextLength > MAX_PLAINTEXT + BACKUP_TAG_LEN) throw new TamperedBackupError()
  if (kdf !== KDF_SCRYPT) throw new UnsupportedKdfError()
  checkParams(params, opts.unsafeAllowWeakKdfForTests === true)
  return { version, params, salt, nonce, ciphertextLength }
}

/** Decrypt a backup file; throws a named {@link BackupError} subclass for every kind of refusal. */
export async function decryptBackup (file: Uint8Array, passphrase: string, opts: KdfOptions = {}): Promise<BackupContents> {
  const header = inspectBackup(file, opts)
  const key = await deriveKey(passphrase, header.salt, header.params, opts.onProgress)
  let plaintext: Uint8Array
  try {
    plaintext = xchacha20poly1305(key, header.nonce, file.subarray(0, BACKUP_HEADER_LEN))
      .decrypt(file.subarray(BACKUP_HEADER_LEN, BACKUP_HEADER_LEN + header.ciphertextLength))
  } catch {
    throw new WrongPassphraseError()
  } finally {
    key.fill(0)
  }
  try {
    return decodePlaintext(plaintext)
  } finally {
    plaintext.fill(0)
  }
}

/** Suggested file name for a download (no name or key in it: the file name is readable). */
export const BACKUP_FILE_NAME = 'shallot-identity.shallot-backup'
