/**
 * Each test file gets its own TMPDIR, removed when the file's tests end. The container package keeps its
 * restart marker (`.lambda-lifetime-runtime-<worker>.json`) in TMPDIR, as Lambda's /tmp survives a
 * runtime reset; without this, tests that fake a real log stream name leave the marker in the machine's
 * temporary directory, and two test files running at once in two workers would read each other's.
 *
 * Only what reads `process.env.TMPDIR` in the test's own module graph sees it (Jest gives each file its
 * own copy of `process.env`); Node's `os.tmpdir()` keeps the machine's, so other temporary folders are
 * unaffected.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll } from '@jest/globals'

const previous = process.env.TMPDIR
// Inside the run's folder (global-setup.mjs) when there is one, so the run's end removes what an
// afterAll that never ran (a file whose tests are all skipped) left.
const folder = mkdtempSync(join(process.env.LAMBDA_LIFETIME_TEST_RUN_TMP ?? tmpdir(), 'll-test-tmp-'))
process.env.TMPDIR = folder

afterAll(() => {
  if (previous === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = previous
  rmSync(folder, { recursive: true, force: true })
})
