/**
 * Transitional: the old name of ./services.ts, kept only because
 * src/app/chat/index.ts (being split on another branch) still imports it.
 * Delete once that import reads '../services.ts'.
 */
export { getNetwork, getOnion } from './services.ts'
