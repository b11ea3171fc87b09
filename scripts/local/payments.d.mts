export type PaymentsMode = 'up' | 'down' | 'slow'

export interface PaymentsServer {
  readonly url: string
  readonly mode: PaymentsMode
  /** Charges accepted and refused (while down) so far. */
  readonly stats: { charges: number; refused: number }
  setMode(mode: PaymentsMode): void
  stop(): Promise<void>
}

export function startPayments(options?: { port?: number }): Promise<PaymentsServer>
