import { describe, expect, it } from 'vitest'
import { ready } from './identity.test-util.ts'

/** Bob, who accepted Ann's invite, and the id of Ann among his contacts. */
async function bobWithAnn () {
  const a = await ready('Ann')
  const b = await ready('Bob')
  b.store.receiveInvite(new URL((await a.store.createInvite([]))!.link).hash)
  await b.store.acceptInvite()
  const id = b.store.getSnapshot().contacts[0]!.id
  return { b, id }
}

describe('contact changes', () => {
  it('verified toggle, clear history and delete conversation', async () => {
    const { b, id } = await bobWithAnn()
    expect(await b.store.setVerified(id, true)).toBe(true)
    expect(b.store.getSnapshot().contacts[0]!.verified).toBe(true)
    const chat = b.store.chatStore()!
    await chat.putMessage(id, { id: 'm2', direction: 'in', text: 'second', timestamp: 2 })
    await chat.putMessage(id, { id: 'm1', direction: 'out', text: 'first', timestamp: 1 })
    await chat.putMessage('other', { id: 'x', direction: 'out', text: 'elsewhere', timestamp: 1 })
    expect((await chat.listMessages(id)).map(m => m.text)).toEqual(['first', 'second'])
    expect(await b.store.clearHistory(id)).toBe(true)
    expect(await chat.listMessages(id)).toEqual([])
    expect(await chat.listMessages('other')).toHaveLength(1)
    await chat.putMessage(id, { id: 'm3', direction: 'in', text: 'again', timestamp: 3 })
    expect(await b.store.deleteConversation(id)).toBe(true)
    expect(await chat.listMessages(id)).toEqual([])
    expect(b.store.getSnapshot().contacts).toHaveLength(1)
  })

  it('clear history and delete conversation go through the history keeper (chat) when there is one', async () => {
    const { b, id } = await bobWithAnn()
    const asked: string[] = []
    b.store.keepHistoryWith({
      clearHistory: async (c) => { asked.push(`clear ${c}`) },
      deleteConversation: async (c) => { asked.push(`delete ${c}`) }
    })
    expect(await b.store.clearHistory(id)).toBe(true)
    expect(await b.store.deleteConversation(id)).toBe(true)
    expect(asked).toEqual([`clear ${id}`, `delete ${id}`])
  })

  it('a change to an unknown contact does nothing', async () => {
    const { store } = await ready('Ann')
    const before = store.getSnapshot()
    expect(await store.setVerified('nobody', true)).toBe(false)
    expect(await store.clearHistory('nobody')).toBe(false)
    expect(await store.removeContact('nobody')).toBe(false)
    expect(store.getSnapshot()).toBe(before)
  })

  it('a change that fails says so in the contact list and leaves the contact as it was', async () => {
    const { b, id } = await bobWithAnn()
    b.store.keepHistoryWith({
      clearHistory: async () => { throw new Error('chat failed') },
      deleteConversation: async () => { throw new Error('chat failed') }
    })
    expect(await b.store.clearHistory(id)).toBe(false)
    expect(b.store.getSnapshot()).toMatchObject({ busy: null, notice: { kind: 'error', area: 'contacts', text: 'The history could not be cleared.' } })
    expect(b.store.getSnapshot().contacts).toHaveLength(1)
  })
})

