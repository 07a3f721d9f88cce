import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['dist', 'dist-test', 'dev-dist', 'node_modules', 'test-results', 'playwright-report', 'bench-results'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', {
        selector: "CallExpression[callee.object.name='console'][callee.property.name='log'] > TemplateLiteral",
        message: 'Use the logger; never interpolate peer ids, keys or addresses into console output.'
      }]
    }
  },
  {
    files: ['src/bootstrap/**', 'scripts/**', 'e2e/**', 'e2e-net/**', '*.config.*', 'test/**'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    // Playwright fixtures use `use` and `{}` by design.
    files: ['e2e/**', 'e2e-net/**'],
    rules: { 'react-hooks/rules-of-hooks': 'off', 'no-empty-pattern': 'off' }
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    // scripts hand functions to page.evaluate, which run in the page
    files: ['scripts/**'],
    languageOptions: { globals: { ...globals.node, ...globals.browser } }
  },
  {
    files: ['**/*.d.ts'],
    rules: { 'no-var': 'off' }
  }
)
