import { useId } from 'react'
import type { NetworkSnapshot } from '../../app/services.ts'
import './HideIpChoice.css'

/** Whether the tab's relays offer TURN, as far as it knows (null: not known yet, nothing fetched from a connected relay). */
export function turnAvailability (network: NetworkSnapshot): boolean | null {
  return network.connectedBootstraps === 0 && network.connectivity.ice.fetches === 0 ? null : network.connectivity.ice.hasTurn
}

export interface HideIpChoiceProps {
  checked: boolean
  /** A TURN server is available from the tab's relays (null: not known yet). */
  turnAvailable: boolean | null
  onChange: (on: boolean) => void
}

/** "Hide my IP address from other tabs", with what it buys and what it costs in plain words. */
export function HideIpChoice ({ checked, turnAvailable, onChange }: HideIpChoiceProps) {
  const id = useId()
  return (
    <fieldset className="hide-ip">
      <legend>Your IP address</legend>
      <label htmlFor={`${id}-hide`} className="checkbox">
        <input id={`${id}-hide`} type="checkbox" checked={checked} onChange={(e) => { onChange(e.target.checked) }} aria-describedby={`${id}-what`} />
        Hide my IP address from other tabs
      </label>
      <p id={`${id}-what`} className="muted">
        Shallot tabs connect to each other directly, so the tabs next to yours can see your IP address (never what you
        write or to whom). With this on, every connection goes through a TURN server run by your relay's operator
        instead: no other tab learns your IP address. The TURN operator then sees your IP address and those of the
        tabs you connect to, never what is said. Messages take a little longer.
      </p>
      {checked && turnAvailable === false && (
        <p role="alert" className="warning">
          None of your relays offers a TURN server, so while this is on this tab can't connect to any other tab.
          Add a relay that has one, or turn this off.
        </p>
      )}
    </fieldset>
  )
}
