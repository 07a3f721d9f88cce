import { groupDigits, safetyNumberQrText } from '../../core/identity/safety-number.ts'
import { QrCode } from './QrCode.tsx'
import './SafetyNumber.css'

/** The 60-digit safety number as 12 groups of 5, with its QR code. */
export function SafetyNumber ({ digits, name, showQr = true }: { digits: string, name: string, showQr?: boolean }) {
  const label = `Safety number with ${name}`
  return (
    <figure className="safety" aria-label={label}>
      <p className="safety-number mono">
        {groupDigits(digits).map((g, i) => <span key={i}>{g}</span>)}
      </p>
      <figcaption className="muted">
        Compare these digits with {name}, in person or on a call. If they match on both screens, nobody is in between.
      </figcaption>
      {showQr && <QrCode text={safetyNumberQrText(digits)} label={`QR code of the safety number with ${name}`} />}
    </figure>
  )
}
