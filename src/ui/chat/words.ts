import type { ContactStanding, DeliveryState, Reachability } from '../../app/chat/types.ts'

/** Reachability in plain words, lower case (list entries). */
export const REACH_WORDS: Record<Reachability, string> = {
  reachable: 'reachable',
  connecting: 'connecting…',
  offline: 'offline'
}

/** The conversation header's connection line. */
export function reachLine (reach: Reachability, name: string, canSend: boolean): string {
  switch (reach) {
    case 'reachable': return 'Reachable'
    case 'connecting': return 'Connecting…'
    case 'offline': return canSend ? `Offline — messages will be sent when ${name} is back` : 'Offline'
  }
}

/** The badge shown for a standing other than 'accepted'. */
export const STANDING_BADGE: Record<ContactStanding, string | null> = {
  request: 'request',
  pending: 'pending',
  declined: 'declined',
  accepted: null
}

export const DELIVERY_WORDS: Record<DeliveryState, string> = {
  sending: 'Sending…',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Not delivered'
}
