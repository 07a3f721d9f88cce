/**
 * Browser notifications for chat: only who wrote or asked, never what (the
 * text stays inside the app), and only while the user is not looking at the
 * tab and has allowed them.
 */
import type { ChatSnapshot } from './types.ts'

export interface Notifier {
  readonly permission: () => ChatSnapshot['notifications']
  request (): Promise<void>
  /** True when the user is not looking at this tab. */
  hidden (): boolean
  show (title: string, body: string): void
}

/** The Notification API, where there is one. */
export const browserNotifier: Notifier = {
  permission: () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission),
  request: async () => { if (typeof Notification !== 'undefined') await Notification.requestPermission() },
  hidden: () => document.visibilityState === 'hidden',
  show: (title, body) => { try { new Notification(title, { body, tag: 'shallot-message' }) } catch { /* not allowed here */ } }
}

/** Show `title`/`body` if the tab is hidden and notifications are allowed. */
export function notifyIfHidden (n: Notifier | undefined, title: string, body: string): void {
  if (n != null && n.hidden() && n.permission() === 'granted') n.show(title, body)
}
