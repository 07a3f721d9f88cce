/**
 * What Shallot hides and what it does not, in a few plain lines on the
 * first-run screen: the short form of docs/THREAT-MODEL.md. Keep the two in
 * step; a promise made here that the design does not keep is a bug.
 */
export function PrivacySummary () {
  return (
    <details className="privacy-summary">
      <summary>What Shallot hides, and what it does not</summary>
      <ul>
        <li>No one on the network learns both who you talk to and what you say: messages travel in layers of encryption through several other people's tabs, and you and your contact never connect to each other.</li>
        <li>The tabs you connect to directly, and the bootstrap relay you join, see your IP address and when you are online, not whom you talk to. “Hide my IP” shows them the relay's TURN server instead; its operator then sees your address.</li>
        <li>Your contacts can tell when you are online. Anyone holding one of your invite links can ask to talk to you; nothing is connected until you accept.</li>
        <li>Someone who can watch both your internet connection and your contact's can match the timing and learn that you talk, as with Tor.</li>
        <li>The app's code comes from the site that serves it: you trust that site each time the app updates.</li>
      </ul>
    </details>
  )
}
