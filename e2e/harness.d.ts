import type { Harness } from '../src/app/testing/harness.ts'

declare global {
  interface Window { shallot: Harness }
}
