/** Every environment variable this package reads, read at use (never at import) so tests can set them. */
import { tmpdir } from 'node:os'
import type { InitType } from './types.js'

const INIT_TYPES: ReadonlySet<string> = new Set<InitType>([
  'on-demand',
  'provisioned-concurrency',
  'snap-start',
  'lambda-managed-instances',
])

/** A real stream is `YYYY/MM/DD/[version]<32 hex>`; RIE, SAM and serverless-offline fake it. */
const REAL_LOG_STREAM = /^\d{4}\/\d{2}\/\d{2}\/\[[^\]]+\][0-9a-f]{32}$/

export const readInitType = (): InitType => {
  const value = process.env.AWS_LAMBDA_INITIALIZATION_TYPE
  return value !== undefined && INIT_TYPES.has(value) ? (value as InitType) : 'on-demand'
}

export const readEnvironmentId = (): string | null => {
  const stream = process.env.AWS_LAMBDA_LOG_STREAM_NAME
  return stream !== undefined && REAL_LOG_STREAM.test(stream) ? stream : null
}

export const readRuntimeApi = (): string | undefined => process.env.AWS_LAMBDA_RUNTIME_API || undefined

/** The runtime's temp directory: `/tmp` in Lambda; the emulator gives each environment its own `TMPDIR`. */
export const readTmpDir = (): string => process.env.TMPDIR || tmpdir()
