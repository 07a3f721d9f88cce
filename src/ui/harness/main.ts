// Entry of harness.html (tests and benchmarks only; see src/app/harness.ts).
import { createHarness } from '../../app/harness.ts'

declare global {
  interface Window { shallot: ReturnType<typeof createHarness> }
}

window.shallot = createHarness()
