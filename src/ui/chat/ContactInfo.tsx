import type { ConversationView } from '../../app/chat/types.ts'
import { SafetyNumber } from '../identity/SafetyNumber.tsx'
import './ContactInfo.css'

/** The contact's safety number and whether it was verified. */
export function ContactInfo ({ conversation, id }: { conversation: ConversationView, id?: string }) {
  const name = conversation.displayName
  return (
    <section className="chat-contact-info" id={id} aria-label={`Contact info for ${name}`}>
      <p className={conversation.verified ? 'chat-verified' : 'muted'}>
        {conversation.verified
          ? <><span className="badge badge-connected">verified</span> You marked {name}'s safety number as verified.</>
          : <>Not verified yet. Compare the safety number with {name}; once it matches, mark {name} verified in Contacts.</>}
      </p>
      <SafetyNumber digits={conversation.safetyNumber} name={name} />
    </section>
  )
}
