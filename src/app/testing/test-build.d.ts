// Set by vite.config.ts: true only in test builds (`vite build --mode testing`,
// `npm run build:test`), so hook installers are tree-shaken out of the release
// build. Undefined (falsy) under vitest and in `vite build`.
interface ImportMetaEnv {
  readonly SHALLOT_TEST_HOOKS?: boolean
}
