import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { OWNER_VARIABLE, ownerMark, sweepOrphans } from '../src/orphans.js'
import { isAlive } from '../src/process-tree.js'

const sleeper = (owner: string, tmpDir?: string) =>
  spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
    env: { [OWNER_VARIABLE]: owner, ...(tmpDir === undefined ? {} : { TMPDIR: tmpDir }) },
    stdio: 'ignore',
  })

const execd = (pid: number | undefined): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('setTimeout')
  } catch {
    return false
  }
}

const waitUntil = async (check: () => boolean, what: string): Promise<void> => {
  const until = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

describe('sweepOrphans', () => {
  test('kills processes whose emulator is gone and spares those of a live one', async () => {
    // Prepare: a pid no process has, a pid reused by another process (ours, other start time), and ours.
    const deadOwner = sleeper('4194304999@1')
    const reusedPid = sleeper(`${process.pid}@not-its-start-time`)
    const garbled = sleeper('not-a-pid')
    const ours = sleeper(ownerMark())
    const all = [deadOwner, reusedPid, garbled, ours]
    try {
      // Its environment is its own once it has exec'd Node.js with the script.
      await waitUntil(() => all.every((child) => execd(child.pid)), 'the sleepers to start')

      // Act
      sweepOrphans()

      // Assess
      await waitUntil(
        () =>
          [deadOwner, reusedPid, garbled].every(
            (child) => child.exitCode !== null || child.signalCode !== null,
          ),
        'the orphans to end',
      )
      expect(deadOwner.signalCode).toBe('SIGKILL')
      expect(isAlive(ours.pid as number)).toBe(true)
    } finally {
      for (const child of all) child.kill('SIGKILL')
    }
  })

  test('removes an orphan’s environment /tmp, and never a TMPDIR outside the emulator’s own folder', async () => {
    // Prepare: an orphan with an environment folder, and one whose TMPDIR is some other folder
    const root = join(tmpdir(), 'lambda-lifetime', 'orphans-test')
    mkdirSync(root, { recursive: true })
    const environmentTmp = mkdtempSync(join(root, 'env-'))
    const elsewhere = mkdtempSync(join(tmpdir(), 'll-not-an-environment-'))
    const orphans = [sleeper('4194304999@1', environmentTmp), sleeper('4194304999@1', elsewhere)]
    try {
      await waitUntil(() => orphans.every((child) => execd(child.pid)), 'the sleepers to start')

      // Act
      sweepOrphans()
      await waitUntil(() => orphans.every((child) => child.signalCode !== null), 'the orphans to end')

      // Assess
      expect(existsSync(environmentTmp)).toBe(false)
      expect(existsSync(elsewhere)).toBe(true)
    } finally {
      for (const child of orphans) child.kill('SIGKILL')
      rmSync(root, { recursive: true, force: true })
      try {
        rmdirSync(join(tmpdir(), 'lambda-lifetime')) // only when empty: other tests' environments may be there
      } catch {}
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })
})
