// Entry of harness.html (tests and benchmarks only; see src/app/testing/harness.ts).
import { createHarness } from '../../app/testing/harness.ts'

declare global {
  interface Window { shallot: ReturnType<typeof createHarness> }
}

window.shallot = createHarness()
