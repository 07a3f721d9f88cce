/** Path selection (path-spec), entry guards (guard-spec) and capped capacity weights. */
export * from './errors.ts'
export * from './guards.ts'
export * from './path.ts'
export * from './sampling.ts'
export * from './weights.ts'
