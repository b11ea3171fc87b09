/** Types of `postgres.mjs`, the one embedded-PostgreSQL starter (see its module comment). */

export interface StartPostgresOptions {
  /** Database the connection string points to; created when it is not `postgres`. Default `postgres`. */
  database?: string
  /** Port on 127.0.0.1, tried once. Default: a free port, tried again on another if taken meanwhile. */
  port?: number
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
  /** The temporary directory that holds the data directory and the Unix socket; deleted by `stop()`. */
  readonly directory: string
  /** Runs one statement on a short-lived superuser connection to `postgres` and returns its rows. */
  query<TRow extends object = Record<string, unknown>>(sql: string, values?: unknown[]): Promise<TRow[]>
  /**
   * Kills every client connection (optionally only some) with `pg_terminate_backend`, and waits until each
   * backend is gone. Their clients see "terminating connection due to administrator command" (57P01) or a
   * closed socket. Returns how many were killed.
   */
  terminateAllConnections(filter?: ConnectionFilter): Promise<number>
  /** Client connections open now (the short-lived one that counts them excluded). */
  connectionCount(filter?: ConnectionFilter): Promise<number>
  /** Stops the server (fast shutdown: every connection dropped) and starts it again on the same port and data. */
  restart(): Promise<void>
  /**
   * Stops the server and deletes its temporary directory. Safe to call twice, and when the server already
   * ended (a terminal Ctrl-C reaches PostgreSQL too).
   */
  stop(): Promise<void>
}

/**
 * Starts PostgreSQL on 127.0.0.1 (as the `postgres` system user when run as root).
 *
 * @example
 * const db = await startPostgres({ database: 'orders' })
 * await db.query('select 1 as one') // [{ one: 1 }]
 * await db.stop()
 */
export function startPostgres(options?: StartPostgresOptions): Promise<PostgresServer>
