/** Relay descriptors (dir-spec §2.1.1, binary and reduced) and the tab's directory of them. */
export * from './descriptor.ts'
export * from './directory.ts'
export * from './errors.ts'
export * from './limits.ts'
export * from './work.ts'
