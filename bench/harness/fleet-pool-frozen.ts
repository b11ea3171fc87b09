/**
 * A real freeze: containers as processes of their own, frozen with SIGSTOP and thawed with SIGCONT, as
 * Lambda freezes an environment between invocations (nothing runs: no timer, no socket callback; the
 * kernel keeps the sockets open). What `fleet-pool.ts` cannot show in one process: whether pg's
 * `idleTimeoutMillis` releases the connection of a frozen container.
 *
 * The parent side (`freezeExperiment`) forks the containers, invokes each once, then either freezes them
 * or leaves them idle (not frozen: a Managed Instance, or a local test), waits past the idle timeout, and
 * counts their connections on the server; then thaws them and counts again. Every child is killed in
 * `finally` (SIGKILL ends a stopped process too), and on the parent's exit.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { containerLifetime } from '@lambda-lifetime/container'
import middy from '@middy/core'
import pg from 'pg'
import { lambdaContext } from './lambda.js'

const CHILD_FLAG = '--fleet-pool-frozen-container'
const APPLICATION = 'fleet-frozen'

export interface FreezeOutcome {
  /** Connections right after each container's one invocation. */
  readonly afterInvocation: number
  /** Connections after waiting three idle timeouts, frozen or idle. */
  readonly afterWait: number
  /** Connections once thawed (SIGCONT) and given up to 5 s for overdue timers to run. */
  readonly afterThaw: number
}

type Reply = { readonly ok: boolean; readonly error?: string }

/** The container process: one warmPool with a pg.Pool; invokes its handler on each 'invoke' message. */
const serveContainer = async (connectionString: string, idleTimeoutMs: number): Promise<void> => {
  const { warmPool } = await import('@lambda-lifetime/pool')
  const handler = middy(async (_event: unknown, context: { db: pg.Pool }) => context.db.query('select 1'))
    .use(containerLifetime())
    .use(
      warmPool({
        name: 'db',
        create: () =>
          new pg.Pool({
            connectionString,
            max: 1,
            idleTimeoutMillis: idleTimeoutMs,
            application_name: APPLICATION,
          }),
        dispose: (pool: pg.Pool) => pool.end(),
      }) as never,
    ) as unknown as (event: unknown, context: unknown) => Promise<unknown>
  const send = process.send?.bind(process) as (message: Reply) => void
  process.on('message', () => {
    handler({}, lambdaContext()).then(
      () => send({ ok: true }),
      (error: unknown) => send({ ok: false, error: String(error) }),
    )
  })
  process.on('disconnect', () => process.exit(0))
  send({ ok: true })
}

const invokeChild = async (child: ChildProcess): Promise<void> => {
  const replied = once(child, 'message')
  child.send('invoke')
  const [reply] = (await replied) as [Reply]
  if (!reply.ok) throw new Error(`frozen-fleet container failed: ${reply.error}`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const count = async (admin: pg.Client): Promise<number> => {
  const { rows } = await admin.query<{ count: number }>(
    `select count(*)::int as count from pg_stat_activity where application_name = '${APPLICATION}'`,
  )
  return rows[0]?.count ?? 0
}

/** Polls `read` until it returns `wanted` or `boundMs` passes; returns the last reading. */
const settle = async (read: () => Promise<number>, wanted: number, boundMs: number): Promise<number> => {
  const started = performance.now()
  let value = await read()
  while (value !== wanted && performance.now() - started < boundMs) {
    await sleep(100)
    value = await read()
  }
  return value
}

/** Children alive in this process: killed on its exit, whatever ended it. */
const alive = new Set<ChildProcess>()
const killAll = () => {
  for (const child of alive) child.kill('SIGKILL')
}

/**
 * Forks `containers` container processes, invokes each once, then freezes them (`freeze`) or leaves them
 * idle for three idle timeouts, and counts their connections before and after the thaw.
 */
export const freezeExperiment = async (
  connectionString: string,
  containers: number,
  idleTimeoutMs: number,
  freeze: boolean,
): Promise<FreezeOutcome> => {
  if (!process.listeners('exit').includes(killAll)) process.on('exit', killAll)
  const children: ChildProcess[] = []
  const admin = new pg.Client({ connectionString, application_name: 'fleet-frozen-admin' })
  await admin.connect()
  try {
    for (let index = 0; index < containers; index++) {
      const child = fork(new URL(import.meta.url), [CHILD_FLAG, connectionString, String(idleTimeoutMs)], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      alive.add(child)
      child.once('exit', () => alive.delete(child))
      children.push(child)
    }
    await Promise.all(children.map((child) => once(child, 'message')))
    await Promise.all(children.map(invokeChild))
    const afterInvocation = await count(admin)
    if (freeze) for (const child of children) child.kill('SIGSTOP')
    await sleep(3 * idleTimeoutMs)
    const afterWait = await count(admin)
    if (freeze) for (const child of children) child.kill('SIGCONT')
    const afterThaw = await settle(() => count(admin), 0, 5_000)
    return { afterInvocation, afterWait, afterThaw }
  } finally {
    for (const child of children) {
      child.kill('SIGKILL')
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit')
    }
    await admin.end()
  }
}

if (process.argv[2] === CHILD_FLAG) {
  await serveContainer(process.argv[3] ?? '', Number(process.argv[4]))
}
