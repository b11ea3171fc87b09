import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { describe, expect, test } from '@jest/globals'
import { OWNER_VARIABLE, ownerMark, sweepOrphans } from '../src/orphans.js'
import { isAlive } from '../src/process-tree.js'

const sleeper = (owner: string) =>
  spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], {
    env: { [OWNER_VARIABLE]: owner },
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
})
