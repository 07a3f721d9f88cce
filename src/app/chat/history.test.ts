/**
 * Clearing history and deleting a conversation (chat's, not only the
 * store's): what was cleared stays cleared on screen and in storage, even
 * when a delivery receipt for a cleared message arrives afterwards.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { fromHex } from '../../core/bytes.ts'
import { encodeChatFrame } from '../../core/chat/index.ts'
import { addContact, flushAsync, linkPair, remoteEnd, start, stopServices } from './chat.test-util.ts'

afterEach(stopServices)

describe('ChatService: clearing history', () => {
  for (const how of ['clearHistory', 'deleteConversation'] as const) {
    it(`a conversation after ${how} stays empty in the view model and in storage when a late delivery receipt arrives`, async () => {
      const { i, svc, profile } = await start()
      const c = await addContact(profile, svc)
      const [ours, theirs] = linkPair()
      const remote = remoteEnd(theirs) // receives, acknowledges only when told
      i.attach(i.peers.get(c.id), ours)
      svc.open(c.id)
      expect(await svc.send(c.id, 'soon gone')).toBe(true)
      await vi.waitFor(() => { expect(remote.got.filter(f => f.type === 'part')).toHaveLength(1) })
      const id = [...profile.messages.get(c.id)!.keys()][0]!
      await svc[how](c.id)
      await flushAsync()
      expect(profile.messages.get(c.id)?.size ?? 0).toBe(0)
      await remote.send(encodeChatFrame({ type: 'ack', msgId: fromHex(id) })) // the receipt, late
      await flushAsync()
      expect(profile.messages.get(c.id)?.size ?? 0).toBe(0)
      svc.open(c.id)
      expect(svc.getSnapshot().messages).toEqual([])
      expect(svc.getSnapshot().conversations.find(x => x.contactId === c.id)?.lastMessage).toBeNull()
    })
  }
})
