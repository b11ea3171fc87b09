/**
 * `npm start` (scripts/start.mjs) stops cleanly on a signal: everything it started stops, it says what it
 * stopped, and the PostgreSQL data folder it created in the temporary directory is gone. A terminal
 * Ctrl-C sends SIGINT to the whole process group, PostgreSQL included; `kill` sends it to Node alone.
 * Each run gets its own TMPDIR and working directory, removed afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from '@jest/globals'
import { freePort } from '../../scripts/local/ports.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const READY = 'Ctrl-C stops everything.'
const READY_WITHIN_MS = 90_000
const EXIT_WITHIN_MS = 45_000

interface Run {
  readonly child: ChildProcess
  readonly tmp: string
  readonly output: () => string
  readonly httpPort: number
}

const runs: Run[] = []

afterEach(() => {
  for (const run of runs.splice(0)) {
    if (run.child.exitCode === null && run.child.signalCode === null) {
      try {
        process.kill(-(run.child.pid as number), 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(run.tmp, { recursive: true, force: true })
  }
})

/** Waits until `condition` holds, checking whenever the child writes, or fails after `ms`. */
const waitFor = (run: Run, condition: () => boolean, ms: number, what: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const check = () => {
      if (!condition()) return
      clearTimeout(timer)
      run.child.stdout?.off('data', check)
      run.child.off('exit', check)
      resolve()
    }
    const timer = setTimeout(() => {
      run.child.stdout?.off('data', check)
      reject(new Error(`${what} not seen within ${ms} ms. Output:\n${run.output()}`))
    }, ms)
    run.child.stdout?.on('data', check)
    run.child.on('exit', check)
    check()
  })

/** Starts `node scripts/start.mjs` in a process group of its own, on free ports, and waits until it serves. */
const startScript = async (): Promise<Run> => {
  const tmp = mkdtempSync(join(tmpdir(), 'll-start-'))
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the temporary directory.
  chmodSync(tmp, 0o755)
  const [httpPort, invokePort] = [await freePort(), await freePort()]
  let text = ''
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.mjs')], {
    cwd: tmp, // the emulator's log streams go to ./.lambda-lifetime, here
    detached: true, // its own process group, as a terminal gives a foreground job
    env: { ...process.env, TMPDIR: tmp, PORT: String(httpPort), INVOKE_PORT: String(invokePort) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    text += chunk.toString()
  })
  const run = { child, tmp, output: () => text, httpPort }
  runs.push(run)
  await waitFor(run, () => text.includes(READY) || child.exitCode !== null, READY_WITHIN_MS, READY)
  return run
}

const postgresFolders = (run: Run): string[] =>
  readdirSync(run.tmp).filter((name) => name.startsWith('lambda-lifetime-pg-'))

describe('npm start on a signal', () => {
  it.each([
    ['SIGINT to the whole process group (a terminal Ctrl-C)', 'group', 'SIGINT'],
    ['SIGINT to the Node process alone', 'process', 'SIGINT'],
    ['SIGTERM to the Node process alone', 'process', 'SIGTERM'],
    ['SIGHUP to the whole process group (the terminal closed)', 'group', 'SIGHUP'],
  ] as const)(
    'stops everything, says so and leaves no PostgreSQL folder: %s',
    async (_label, target, signal) => {
      // Prepare: serving, with one environment warm
      const run = await startScript()
      expect(run.output()).toContain(READY)
      const hello = await fetch(`http://127.0.0.1:${run.httpPort}/hello`)
      const body = (await hello.json()) as { containerId: string }
      await waitFor(run, () => run.output().includes('invocation 1'), 10_000, 'the invocation line')
      const foldersWhileServing = postgresFolders(run)
      const exited = once(run.child, 'exit')

      // Act
      const pid = run.child.pid as number
      process.kill(target === 'group' ? -pid : pid, signal)
      let timer: NodeJS.Timeout | undefined
      const [code] = (await Promise.race([
        exited,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no exit:\n${run.output()}`)), EXIT_WITHIN_MS)
        }),
      ]).finally(() => clearTimeout(timer))) as [number | null]

      // Assess
      expect(foldersWhileServing).toHaveLength(1)
      expect(code).toBe(0)
      expect(run.output()).toContain(`${signal}: stopping`)
      expect(run.output()).toMatch(/stopped PostgreSQL, its data folder .*lambda-lifetime-pg-\S+ removed/)
      expect(run.output()).toContain('stopped the emulator and its environments')
      expect(run.output()).toMatch(/\nStopped\.\n/)
      expect(postgresFolders(run)).toEqual([])
      // One short form of the container everywhere: the first 8 hex digits of the id the answer carries.
      expect(run.output()).toMatch(
        new RegExp(
          `hello env [0-9a-f]{8} invocation 1: ok 200 in \\d+ ms · container ${body.containerId.slice(0, 8)}`,
        ),
      )
    },
    READY_WITHIN_MS + EXIT_WITHIN_MS + 20_000,
  )
})
