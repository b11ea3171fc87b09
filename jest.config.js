/**
 * One Jest run for unit tests (packages/<name>/test) and cross-package tests (test/).
 * TypeScript is compiled by SWC as ESM; `@lambda-lifetime/<name>` resolves to the sources,
 * so tests never depend on a previous build and coverage is measured on `src`.
 */
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  },
]

export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@lambda-lifetime/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: [
    '<rootDir>/packages/*/test/**/*.test.ts',
    '<rootDir>/test/**/*.test.ts',
    '<rootDir>/examples/*/test/**/*.test.ts',
  ],
  collectCoverageFrom: ['packages/*/src/**/*.ts'],
  coverageReporters: ['text-summary', 'text', 'lcov'],
  coverageThreshold: { global: { lines: 95, branches: 95, functions: 95, statements: 95 } },
  // A StrykerJS run keeps a sandbox copy of the repository here; its packages must not shadow ours.
  modulePathIgnorePatterns: ['<rootDir>/.stryker-tmp'],
  setupFilesAfterEnv: ['<rootDir>/test/support/private-tmp.ts'],
  // The run's folder for the files' private TMPDIRs, removed at the end even for fully skipped files.
  globalSetup: '<rootDir>/test/support/global-setup.mjs',
  globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
  testTimeout: 20000,
  maxWorkers: 2,
}
