/**
 * One temporary folder per Jest run, holding every test file's private TMPDIR (see private-tmp.ts).
 * A file whose tests are all skipped never runs its afterAll, so its TMPDIR is removed here, with the
 * run's folder, once every worker is done.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const RUN_TMP_ENV = 'LAMBDA_LIFETIME_TEST_RUN_TMP'

export const setup = () => {
  process.env[RUN_TMP_ENV] = mkdtempSync(join(tmpdir(), 'll-test-run-'))
}

export const teardown = () => {
  const folder = process.env[RUN_TMP_ENV]
  if (folder !== undefined) rmSync(folder, { recursive: true, force: true })
}
