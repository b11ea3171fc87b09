/**
 * A stand-in for the X-Ray daemon: a UDP socket on 127.0.0.1 receiving what the X-Ray SDK really
 * sends (a `{"format":"json","version":1}` header line, then one segment document per datagram).
 */
import { createSocket } from 'node:dgram'

export interface SegmentDocument {
  readonly id: string
  readonly name: string
  readonly trace_id: string
  readonly parent_id?: string
  readonly type?: string
  readonly start_time: number
  readonly end_time?: number
  readonly annotations?: Record<string, unknown>
  readonly metadata?: Record<string, Record<string, unknown>>
  readonly subsegments?: SegmentDocument[]
}

export interface XrayDaemon {
  readonly address: string
  readonly segments: SegmentDocument[]
  /** Resolves once `count` documents arrived, or rejects after `timeoutMs` (a generous bound). */
  waitFor(count: number, timeoutMs?: number): Promise<SegmentDocument[]>
  close(): Promise<void>
}

export const startXrayDaemon = async (): Promise<XrayDaemon> => {
  const socket = createSocket('udp4')
  const segments: SegmentDocument[] = []
  const waiters = new Set<() => void>()
  socket.on('message', (message) => {
    const text = message.toString('utf8')
    const [header, body] = [text.slice(0, text.indexOf('\n')), text.slice(text.indexOf('\n') + 1)]
    if (JSON.parse(header).format !== 'json') throw new Error(`unexpected header ${header}`)
    segments.push(JSON.parse(body) as SegmentDocument)
    for (const waiter of waiters) waiter()
  })
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve))
  const { port } = socket.address()
  const waitFor = (count: number, timeoutMs = 5_000): Promise<SegmentDocument[]> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (segments.length < count) return
        waiters.delete(check)
        clearTimeout(timer)
        resolve(segments)
      }
      const timer = setTimeout(() => {
        waiters.delete(check)
        reject(new Error(`received ${segments.length} of ${count} segment documents`))
      }, timeoutMs)
      waiters.add(check)
      check()
    })
  return {
    address: `127.0.0.1:${port}`,
    segments,
    waitFor,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  }
}

/** A well-formed X-Ray trace header for one invocation, sampled. */
export const traceHeader = (index: number): { header: string; root: string } => {
  const epoch = Math.floor(Date.now() / 1000).toString(16)
  const root = `1-${epoch}-${index.toString(16).padStart(24, '0')}`
  return { header: `Root=${root};Parent=${(index + 1).toString(16).padStart(16, '0')};Sampled=1`, root }
}
