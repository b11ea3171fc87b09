/**
 * Mutation testing (StrykerJS with its Jest runner), one package at a time, on demand:
 *
 *   npm run mutate -- container        (or logger, pool, breaker, commons, ...)
 *
 * It mutates `packages/<name>/src` and runs only that package's own tests (`packages/<name>/test`) against
 * each mutant: a mutant that no test of the package kills is a gap in that package's tests, whatever a
 * cross-package test might catch. Never part of `npm test`: a run takes minutes. The reports go to
 * `reports/mutation/<name>.html|json`, the sandboxes to `.stryker-tmp/` (both git-ignored); incremental mode is
 * off, so no state file is kept.
 *
 * Jest runs as in `npm test` (ESM through @swc/jest, hence --experimental-vm-modules in the test runner's
 * Node options). `MUTATE_MUTATORS_EXCLUDED` (comma-separated mutator names) narrows a run on a slow machine.
 */
import { existsSync } from 'node:fs'

const name = process.env.MUTATE_PACKAGE ?? ''
if (!/^[a-z-]+$/.test(name) || !existsSync(`packages/${name}/src`)) {
  throw new Error(
    `stryker.config.mjs: name the package to mutate, e.g. "npm run mutate -- container" (got "${name}")`,
  )
}

const excludedMutations = (process.env.MUTATE_MUTATORS_EXCLUDED ?? '')
  .split(',')
  .map((mutator) => mutator.trim())
  .filter(Boolean)

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  testRunnerNodeArgs: ['--experimental-vm-modules'],
  plugins: ['@stryker-mutator/jest-runner'],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    enableFindRelatedTests: false,
    config: {
      testMatch: [`<rootDir>/packages/${name}/test/**/*.test.ts`],
      coverageThreshold: undefined,
      collectCoverage: false,
    },
  },
  mutate: [`packages/${name}/src/**/*.ts`],
  // Types only: nothing there runs, so nothing there can be killed.
  ignoreStatic: true,
  mutator: { excludedMutations },
  // Only what the tests load: sources, the package's tests and the shared test helpers.
  ignorePatterns: [
    '/*',
    '!/packages',
    '/packages/*/test',
    `!/packages/${name}/test`,
    '!/test',
    '/test/*',
    '!/test/support',
    '!/jest.config.js',
    '!/package.json',
    '!/tsconfig.base.json',
  ],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  // A package's tests take about a second: a mutant that makes them wait for a timer is hung, not slow.
  timeoutMS: 2_500,
  incremental: false,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 85, break: null },
}
