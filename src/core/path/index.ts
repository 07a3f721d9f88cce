/** Path selection (path-spec), entry guards (guard-spec), layer-2 vanguards (prop 333), path bias (path-spec) and capped capacity weights. */
export * from './errors.ts'
export * from './guards.ts'
export * from './limits.ts'
export * from './path-bias.ts'
export * from './path.ts'
export * from './sampling.ts'
export * from './vanguards.ts'
export * from './weights.ts'
