/**
 * The runtime process and everything it starts, with real processes: a child that left the process
 * group (`detached: true`) and an orphan adopted by init are frozen or killed with the runtime.
 */
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { afterEach, describe, expect, test } from '@jest/globals'
import {
  clientSocketInode,
  holdsSocket,
  isAlive,
  markedProcesses,
  processState,
  processTree,
  startTime,
} from '../src/process-tree.js'
import { RuntimeProcess } from '../src/runtime-process.js'

const MARK = `LAMBDA_LIFETIME_TEST_MARK=${process.pid}-${Date.now()}`

/** A "runtime" that starts a detached child and an orphan, prints their pids, then waits. */
const SCRIPT = `
const { spawn } = require('node:child_process')
const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' })
child.unref()
const shell = spawn('sh', ['-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] })
let text = ''
shell.stdout.on('data', (chunk) => { text += chunk })
shell.on('close', () => console.log(JSON.stringify({ child: child.pid, orphan: Number(text.trim()) })))
if (process.env.IGNORE_SIGTERM) process.on('SIGTERM', () => {})
setInterval(() => {}, 1000)
`

const started: RuntimeProcess[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((runtime) => runtime.kill()))
})

const waitFor = async <T>(check: () => T | undefined, what: string, timeoutMs = 8_000): Promise<T> => {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = check()
    if (value !== undefined) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

const startRuntime = async (ignoreSigterm = false) => {
  let output = ''
  const exits: (NodeJS.Signals | null)[] = []
  const runtime = new RuntimeProcess({
    command: process.execPath,
    args: ['-e', SCRIPT],
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH,
      [MARK.split('=')[0] as string]: MARK.split('=')[1],
      ...(ignoreSigterm ? { IGNORE_SIGTERM: '1' } : {}),
    },
    mark: MARK,
    onOutput: (_source, chunk) => {
      output += chunk.toString()
    },
    onOutputEnd: () => {},
    onExit: (_code, signal) => exits.push(signal),
  })
  started.push(runtime)
  const pids = await waitFor(
    () => (output.includes('}') ? (JSON.parse(output) as { child: number; orphan: number }) : undefined),
    'the runtime to start its children',
  )
  return { runtime, exits, ...pids }
}

const stopped = (pid: number): boolean => processState(pid) === 'T'

describe('RuntimeProcess', () => {
  test('a freeze stops the runtime and its detached child; a thaw lets them run again', async () => {
    // Prepare
    const { runtime, child } = await startRuntime()

    // Act
    const froze = runtime.freeze()
    const frozenStates = await waitFor(
      () => (stopped(runtime.pid as number) && stopped(child) ? true : undefined),
      'both to stop',
    )
    const frozeAgain = runtime.freeze()
    const thawed = runtime.thaw()
    const thawedStates = await waitFor(
      () => (stopped(runtime.pid as number) || stopped(child) ? undefined : true),
      'both to run again',
    )

    // Assess
    expect(froze).toBe(true)
    expect(frozenStates).toBe(true)
    expect(frozeAgain).toBe(false)
    expect(thawed).toBe(true)
    expect(thawedStates).toBe(true)
    expect(runtime.thaw()).toBe(false)
  })

  test('a kill ends the runtime, its detached child and the orphan that init adopted', async () => {
    // Prepare
    const { runtime, child, orphan, exits } = await startRuntime()
    const members = runtime.members()

    // Act
    await runtime.kill()

    // Assess
    expect(members).toEqual(expect.arrayContaining([runtime.pid, child]))
    // SIGKILL is delivered at once but a process leaves /proc only when it is gone: wait, with a bound.
    await waitFor(() => (markedProcesses(MARK).length === 0 ? true : undefined), 'no marked process left')
    await waitFor(() => (isAlive(child) || isAlive(orphan) ? undefined : true), 'the children to die')
    expect(exits).toHaveLength(1)
    await runtime.terminate(10_000)
    expect(exits).toHaveLength(1)
  })

  test('terminate: SIGTERM to every process, and what is left is killed when the budget ends', async () => {
    // Prepare: one runtime that ends on SIGTERM, one that ignores it
    const polite = await startRuntime()
    const stubborn = await startRuntime(true)

    // Act
    await Promise.all([polite.runtime.terminate(10_000), stubborn.runtime.terminate(200)])

    // Assess
    expect(polite.exits).toEqual(['SIGTERM'])
    expect(stubborn.exits).toEqual(['SIGKILL'])
    const child = stubborn.child
    await waitFor(() => (isAlive(child) ? undefined : true), 'the child to die')
  })

  test('a spawn that fails ends like an exit, once, and kill() still returns', async () => {
    // Prepare
    const exits: (number | null)[] = []

    // Act
    const runtime = new RuntimeProcess({
      command: process.execPath,
      args: ['-e', ''],
      cwd: '/nonexistent/lambda-lifetime',
      env: {},
      mark: MARK,
      onOutput: () => {},
      onOutputEnd: () => {},
      onExit: (code) => exits.push(code),
    })
    await runtime.kill()

    // Assess
    expect(runtime.pid).toBeNull()
    expect(runtime.members()).toEqual([])
    expect(runtime.freeze()).toBe(false)
    expect(exits).toEqual([null])
  })
})

describe('process-tree', () => {
  test('the tree of a process holds its children; a process that does not exist has no state', async () => {
    // Prepare
    const { runtime, child } = await startRuntime()

    // Act
    const tree = processTree(runtime.pid as number)

    // Assess
    expect(tree[0]).toBe(runtime.pid)
    expect(tree).toContain(child)
    expect(startTime(child)).toMatch(/^\d+$/)
    expect(startTime(2 ** 22 + 1)).toBeNull()
    expect(processState(2 ** 22 + 1)).toBeNull()
    expect(processTree(2 ** 22 + 1)).toEqual([])
  })

  test('the client end of a loopback connection is found, and only in the process that holds it', async () => {
    // Prepare: a server here, a client in another process
    const server: Server = createServer((_request, response) => response.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    const peers: number[] = []
    server.on('connection', (socket) => peers.push(socket.remotePort as number))
    const client = spawn(
      process.execPath,
      ['-e', `require('node:net').connect(${port}, '127.0.0.1'); setInterval(() => {}, 1000)`],
      { stdio: 'ignore' },
    )
    try {
      const peer = await waitFor(() => peers[0], 'the client to connect')

      // Act
      const inode = await clientSocketInode(peer, port)

      // Assess
      expect(inode).toMatch(/^\d+$/)
      expect(holdsSocket([client.pid as number], inode as string)).toBe(true)
      expect(holdsSocket([process.pid], inode as string)).toBe(false)
      expect(holdsSocket([2 ** 22 + 1], inode as string)).toBe(false)
      expect(await clientSocketInode(peer, port === 65535 ? 1 : port + 1)).toBeNull()
    } finally {
      client.kill('SIGKILL')
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  })
})
