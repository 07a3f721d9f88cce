import type { Harness } from '../src/app/harness.ts'

declare global {
  interface Window { shallot: Harness }
}
