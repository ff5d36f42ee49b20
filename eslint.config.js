// Lint exists mainly to keep the architecture's dependency direction (architecture.md):
// electron/, web/, cli/ -> core/; renderer/ -> preload/ contract types only; core/ never imports
// electron, React or the renderer. test/node/layering.test.ts proves these rules fire.
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'bench/.data/**', 'test-results/**'] },
  {
    files: ['**/*.{ts,tsx,cts,mts}'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {},
  },
  {
    files: ['main/core/**/*.{ts,tsx,cts,mts}', 'main/sandbox/**/*.{ts,tsx,cts,mts}'],
    rules: restrict(
      ['electron', 'electron/*', 'react', 'react-dom', 'react/*', 'react-dom/*', '**/renderer/**', '**/main/electron/**', '**/electron/**', '**/web/**', '**/cli/**'],
      'main/core and main/sandbox are plain Node: no Electron, React, renderer or entrance (electron/web/cli) imports.',
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict(
      ['electron', 'electron/*', '**/main/**', 'node:*', 'better-sqlite3', 'keytar', 'stream-chat'],
      'renderer/ talks only to the contract in preload/ (window.archivist); it never imports main/ or Node modules.',
    ),
  },
  {
    files: ['main/web/**/*.{ts,tsx}', 'main/cli/**/*.{ts,tsx}'],
    rules: restrict(['electron', 'electron/*', '**/main/electron/**', '**/renderer/**'], 'Only main/electron imports Electron.'),
  },
);
