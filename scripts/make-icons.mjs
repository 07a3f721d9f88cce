// Renders the app icons (PNG and ICO) from the same shape as public/icon.svg,
// with no native dependency: a tiny rasteriser plus zlib. Run after changing
// the icon: `node scripts/make-icons.mjs`. Output is committed in public/.
import { deflateSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'

const PURPLE = [0x7a, 0x3e, 0x8e]; const PALE = [0xf3, 0xe6, 0xf7]; const MID = [0xc5, 0x8f, 0xd8]

// An onion layer: a drop shape (circle bottom, pointed top) in unit coordinates.
function inDrop (x, y, cx, cy, r) {
  const dy = y - cy; const dx = x - cx
  if (dy >= 0) return dx * dx + dy * dy <= r * r
  const top = cy - r * 1.75
  if (y < top) return false
  const t = (y - top) / (cy - top)
  return Math.abs(dx) <= r * Math.sin(t * Math.PI / 2)
}

function render (size, maskable) {
  const px = Buffer.alloc(size * size * 4)
  const radius = maskable ? 0 : 0.22
  const scale = maskable ? 0.8 : 1
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = (i + 0.5) / size; const y = (j + 0.5) / size
      // rounded square background
      const qx = Math.max(Math.abs(x - 0.5) - (0.5 - radius), 0); const qy = Math.max(Math.abs(y - 0.5) - (0.5 - radius), 0)
      const inBg = qx * qx + qy * qy <= radius * radius
      let c = null
      if (inBg) c = PURPLE
      const u = 0.5 + (x - 0.5) / scale; const v = 0.5 + (y - 0.5) / scale
      if (inDrop(u, v, 0.5, 0.6, 0.25)) c = PALE
      if (inDrop(u, v, 0.5, 0.61, 0.14)) c = MID
      if (inDrop(u, v, 0.5, 0.61, 0.06)) c = PURPLE
      const o = (j * size + i) * 4
      if (c) { px[o] = c[0]; px[o + 1] = c[1]; px[o + 2] = c[2]; px[o + 3] = 255 }
    }
  }
  return png(size, px)
}

function crc32 (buf) {
  let c; const table = crc32.table ??= Array.from({ length: 256 }, (_, n) => { c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0 })
  let crc = 0xffffffff
  for (const b of buf) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

function chunk (type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type), data])
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

function png (size, rgba) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 6
  const raw = Buffer.alloc(size * (size * 4 + 1))
  for (let j = 0; j < size; j++) rgba.copy(raw, j * (size * 4 + 1) + 1, j * size * 4, (j + 1) * size * 4)
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))])
}

function ico (pngBytes, size) {
  const header = Buffer.alloc(22)
  header.writeUInt16LE(0, 0); header.writeUInt16LE(1, 2); header.writeUInt16LE(1, 4)
  header[6] = size; header[7] = size; header.writeUInt16LE(1, 10); header.writeUInt16LE(32, 12)
  header.writeUInt32LE(pngBytes.length, 14); header.writeUInt32LE(22, 18)
  return Buffer.concat([header, pngBytes])
}

const out = new URL('../public/', import.meta.url)
for (const s of [64, 192, 512]) writeFileSync(new URL(`pwa-${s}x${s}.png`, out), render(s, false))
writeFileSync(new URL('maskable-icon-512x512.png', out), render(512, true))
writeFileSync(new URL('apple-touch-icon-180x180.png', out), render(180, true))
writeFileSync(new URL('favicon.ico', out), ico(render(48, false), 48))
console.log('icons written to public/')
