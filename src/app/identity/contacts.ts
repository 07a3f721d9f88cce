/**
 * Changing a contact: marking it verified, clearing the history with it,
 * deleting the conversation, removing it. Each change shows the contact
 * list busy, then the outcome as a notice, and re-reads the contacts.
 *
 * Clearing history and deleting a conversation go through the
 * {@link HistoryKeeper} (chat) when there is one, so what chat holds in
 * memory and a late delivery receipt cannot bring the messages back; without
 * one only the store is changed.
 */
import type { Contact, Profile } from '../../storage/types.ts'
import { ERROR_TEXT } from './errors.ts'
import type { IdentityHost } from './host.ts'
import type { HistoryKeeper } from './types.ts'

export class Contacts {
  private keeper: HistoryKeeper | null = null

  constructor (private readonly host: IdentityHost) {}

  /** Clear history and delete conversations through `keeper` from now on. */
  keepHistoryWith (keeper: HistoryKeeper): void { this.keeper = keeper }

  async setVerified (contactId: string, verified: boolean): Promise<boolean> {
    return await this.update(contactId, async (p, c) => { await p.putContact({ ...c, verified }) },
      '', ERROR_TEXT.contactNotUpdated)
  }

  /** Delete the 1:1 conversation with this contact (its record and messages). */
  async deleteConversation (contactId: string): Promise<boolean> {
    return await this.update(contactId, async (p) => { await (this.keeper?.deleteConversation(contactId) ?? p.deleteConversation(contactId)) },
      'The conversation was deleted.', ERROR_TEXT.conversationNotDeleted)
  }

  /** Delete every message exchanged with this contact. */
  async clearHistory (contactId: string): Promise<boolean> {
    return await this.update(contactId, async (p) => { await (this.keeper?.clearHistory(contactId) ?? p.clearHistory(contactId)) },
      'The history was cleared.', ERROR_TEXT.historyNotCleared)
  }

  async remove (contactId: string): Promise<boolean> {
    return await this.update(contactId, async (p) => { await p.deleteContact(contactId) },
      'The contact was removed.', ERROR_TEXT.contactNotRemoved)
  }

  /** Run `work` on a known contact; `done` is the success notice ('' for none), `failed` the error notice. */
  private async update (id: string, work: (p: Profile, c: Contact) => Promise<void>, done: string, failed: string): Promise<boolean> {
    const h = this.host
    const p = h.profile()
    const c = h.contacts().find(x => x.id === id)
    if (p == null || c == null) return false
    h.set({ busy: { task: 'update', progress: null } })
    try {
      await work(p, c)
      h.set({ busy: null, notice: done === '' ? null : { kind: 'success', area: 'contacts', text: done } })
      await h.refresh()
      return true
    } catch {
      h.set({ busy: null, notice: { kind: 'error', area: 'contacts', text: failed } })
      return false
    }
  }
}
