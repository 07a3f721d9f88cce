import { describe, expect, it } from 'vitest'
import { ExpiredInviteError, WrongPassphraseError } from '../../core/identity/index.ts'
import { IdentityExistsError } from '../../storage/types.ts'
import { errorText } from './errors.ts'

describe('error texts', () => {
  it('a named identity error is shown by its own message', () => {
    expect(errorText(new WrongPassphraseError(), 'fallback')).toBe(new WrongPassphraseError().message)
    expect(errorText(new ExpiredInviteError(), 'fallback')).toMatch(/expired/)
    expect(errorText(new IdentityExistsError(), 'fallback')).toMatch(/already exists/)
  })

  it('anything else is shown as the fixed sentence, so its details never reach the screen', () => {
    expect(errorText(new Error('key 0badc0de in /secret/path'), 'The backup could not be restored.')).toBe('The backup could not be restored.')
    expect(errorText('a string', 'fallback')).toBe('fallback')
    expect(errorText(undefined, 'fallback')).toBe('fallback')
  })
})
