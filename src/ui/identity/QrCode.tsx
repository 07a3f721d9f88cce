import QRCode from 'qrcode'
import { useEffect, useState } from 'react'
import './QrCode.css'

/** A QR code of `text` as an image (data URL; the CSP allows data: images). */
export function QrCode ({ text, label }: { text: string, label: string }) {
  const [img, setImg] = useState<{ text: string, url: string } | null>(null)
  useEffect(() => {
    let live = true
    QRCode.toDataURL(text, { errorCorrectionLevel: 'M', margin: 2, width: 240 })
      .then((url) => { if (live) setImg({ text, url }) })
      .catch(() => { if (live) setImg(null) })
    return () => { live = false }
  }, [text])
  if (img == null || img.text !== text) return <p className="muted">Drawing QR code…</p>
  return <img className="qr" src={img.url} alt={label} width={240} height={240} />
}
