/** Per-channel cell scheduling (tor's EWMA circuitmux), token buckets and the channel queue bounds. */
export * from './errors.ts'
export * from './limits.ts'
export * from './scheduler.ts'
export * from './token-bucket.ts'
