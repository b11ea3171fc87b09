/**
 * The orders table and its two queries. The pool is created once per container by `warmPool`; the
 * schema is created with it, so a fresh database (or a recreated pool) is always ready.
 *
 * Several containers start at once in a burst, and each runs the schema set-up. PostgreSQL's
 * `create table if not exists` is not safe under concurrency: two sessions can both see no table and
 * both insert its row type, and one fails with `duplicate key value violates unique constraint
 * "pg_type_typname_nsp_index"`. A transaction-scoped advisory lock makes the set-ups take turns; the
 * lock is released at commit or rollback, also when the connection dies.
 */
import pg from 'pg'

export interface Order {
  readonly id: string
  readonly item: string
  readonly quantity: number
  readonly amountCents: number
  readonly status: 'paid'
  readonly chargeId: string
  readonly containerId: string
  readonly createdAt: string
}

interface OrderRow {
  id: string
  item: string
  quantity: number
  amount_cents: number
  status: 'paid'
  charge_id: string
  container_id: string
  created_at: Date
}

const SCHEMA = `
  create table if not exists orders (
    id uuid primary key,
    item text not null,
    quantity integer not null check (quantity > 0),
    amount_cents integer not null check (amount_cents > 0),
    status text not null,
    charge_id text not null,
    container_id text not null,
    created_at timestamptz not null default now()
  )`

/** Any fixed 64-bit number that no other code on the same database uses as an advisory lock key. */
const SCHEMA_LOCK_KEY = 0x6f72_6465_7273 // "orders"

/** Creates the schema, one session at a time (see the module comment). */
const ensureSchema = async (pool: pg.Pool): Promise<void> => {
  const client = await pool.connect()
  let failed = false
  try {
    await client.query('begin')
    await client.query('select pg_advisory_xact_lock($1)', [SCHEMA_LOCK_KEY])
    await client.query(SCHEMA)
    await client.query('commit')
  } catch (error) {
    failed = true
    await client.query('rollback').catch(() => undefined)
    throw error
  } finally {
    client.release(failed) // a failed connection is closed, not handed back to the pool
  }
}

const toOrder = (row: OrderRow): Order => ({
  id: row.id,
  item: row.item,
  quantity: row.quantity,
  amountCents: row.amount_cents,
  status: row.status,
  chargeId: row.charge_id,
  containerId: row.container_id,
  createdAt: row.created_at.toISOString(),
})

/**
 * Opens a small pool and makes sure the schema exists. Two connections are enough: a classic Lambda
 * container runs one invocation at a time. A connection that takes over 2 s fails the invocation rather
 * than eating its timeout (tests on a loaded machine may allow more).
 *
 * @example
 * ```ts
 * const db = await openDatabase('postgres://app:secret@127.0.0.1:5432/orders')
 * ```
 */
export const openDatabase = async (
  connectionString: string,
  { connectionTimeoutMillis = 2_000 }: { connectionTimeoutMillis?: number } = {},
): Promise<pg.Pool> => {
  const pool = new pg.Pool({
    connectionString,
    max: 2,
    connectionTimeoutMillis,
    application_name: 'orders-api',
  })
  try {
    await ensureSchema(pool)
  } catch (error) {
    await pool.end()
    throw error
  }
  return pool
}

/**
 * Stores a paid order.
 *
 * @example
 * ```ts
 * const order = await insertOrder(db, { id, item: 'book', quantity: 1, amountCents: 1200, chargeId, containerId })
 * ```
 */
export const insertOrder = async (
  db: pg.Pool,
  order: Omit<Order, 'status' | 'createdAt'>,
): Promise<Order> => {
  const result = await db.query<OrderRow>(
    `insert into orders (id, item, quantity, amount_cents, status, charge_id, container_id)
     values ($1, $2, $3, $4, 'paid', $5, $6) returning *`,
    [order.id, order.item, order.quantity, order.amountCents, order.chargeId, order.containerId],
  )
  return toOrder(result.rows[0] as OrderRow)
}

/**
 * Reads one order, or null.
 *
 * @example
 * ```ts
 * const order = await findOrder(db, '0b7c…')
 * ```
 */
export const findOrder = async (db: pg.Pool, id: string): Promise<Order | null> => {
  const result = await db.query<OrderRow>('select * from orders where id = $1', [id])
  const row = result.rows[0]
  return row === undefined ? null : toOrder(row)
}
