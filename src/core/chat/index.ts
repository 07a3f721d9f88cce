/**
 * Chat (pure): chat frames, splitting and reassembly of text messages, the
 * sender's outbox and the receiver's seen-ids set. See docs/RENDEZVOUS.md §8.
 */
export * from './frames.ts'
export * from './reassembly.ts'
export * from './outbox.ts'
export * from './dedupe.ts'
