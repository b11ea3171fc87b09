/** Talks HTTP/1.1 over a bare socket, for requests no well-behaved client would send. */
import { connect, type Socket } from 'node:net'

/**
 * Sends the bytes, then reads until the server closes (or `waitMs` passes) and returns what came back.
 * With `halfClose` the client ends its side after the bytes, so a request the server cannot finish
 * parsing ends at once instead of waiting for more.
 */
export const rawExchange = (
  baseUrl: string,
  bytes: Buffer | string,
  { waitMs = 5_000, halfClose = false }: { waitMs?: number; halfClose?: boolean } = {},
): Promise<string> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(baseUrl)
    const socket = connect(Number(port), hostname)
    let received = ''
    const done = (): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(received)
    }
    const timer = setTimeout(done, waitMs)
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')))
    socket.on('error', done)
    socket.on('close', done)
    socket.write(bytes)
    if (halfClose) socket.end()
  })

/** Connects, runs `act` with the socket, and resolves once the socket closed. */
export const withSocket = (baseUrl: string, act: (socket: Socket) => void): Promise<void> =>
  new Promise((resolve) => {
    const { hostname, port } = new URL(baseUrl)
    const socket = connect(Number(port), hostname, () => act(socket))
    socket.on('error', () => undefined)
    socket.on('close', () => resolve())
  })

/** The status code of a raw HTTP answer, or 0 when there was none. */
export const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)

/** The body of a raw HTTP answer (after the blank line). */
export const bodyOf = (answer: string): string => answer.slice(answer.indexOf('\r\n\r\n') + 4)
