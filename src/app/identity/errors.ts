/**
 * What the identity layer tells the user when something fails, in words.
 * Nothing here logs, and no text carries keys, names or file bytes: a named
 * error from the identity formats or the store (a wrong passphrase, a
 * damaged backup, an altered or expired invite, an identity that already
 * exists) is shown by its own plain message; anything else by a fixed
 * sentence, so an unexpected error's details never reach the screen. The
 * texts are what the user (and e2e/identity.spec.ts) reads: change them with
 * the tests.
 */
import { BackupError, InviteError } from '../../core/identity/index.ts'
import { IdentityExistsError } from '../../storage/types.ts'

/** The message of an error that explains itself to the user, else `fallback`. */
export function errorText (e: unknown, fallback: string): string {
  if (e instanceof BackupError || e instanceof InviteError || e instanceof IdentityExistsError) return e.message
  return fallback
}

/** The fixed sentences, by what failed. */
export const ERROR_TEXT = {
  profileUnopenable: 'Your saved identity could not be opened in this browser.',
  createFailed: 'The identity could not be created.',
  restoreFailed: 'The backup could not be restored.',
  backupUnreadable: 'The backup could not be read.',
  inviteNotMade: 'The invite could not be made (too many or too long relay addresses?).',
  inviteDamaged: 'This invite link is damaged or incomplete.',
  contactNotSaved: 'The contact could not be saved.',
  inviteNotRevoked: 'The invite could not be revoked.',
  contactNotUpdated: 'The contact could not be updated.',
  conversationNotDeleted: 'The conversation could not be deleted.',
  historyNotCleared: 'The history could not be cleared.',
  contactNotRemoved: 'The contact could not be removed.',
  eraseFailed: 'Erasing failed. Close other Shallot tabs and try again.'
} as const
