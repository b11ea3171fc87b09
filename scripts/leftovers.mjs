/**
 * `node scripts/leftovers.mjs [--strict] <command> [args…]`: runs a command (e.g. `npm test`) with TMPDIR
 * pointing at a fresh empty folder, then lists what the command left in it. Tests must leave nothing
 * behind; this is how to check. Caches that tools keep on purpose between runs (Jest's `jest_*`, Node's
 * `node-compile-cache` that TypeScript turns on) are listed apart and do not count.
 *
 * Exit code: the command's own when it failed; else, with `--strict`, 1 when something other than a cache
 * was left; else 0. The folder is removed at the end either way.
 *
 * @example
 * node scripts/leftovers.mjs npm test
 * node scripts/leftovers.mjs --strict npx jest test/examples
 */
import { spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const CACHES = [/^jest_/, /^node-compile-cache$/]

/** Bytes under a path, following no symlinks. */
const sizeOf = (path) => {
  const stats = statSync(path, { throwIfNoEntry: false })
  if (stats === undefined || stats.isSymbolicLink()) return 0
  if (!stats.isDirectory()) return stats.size
  let total = 0
  for (const entry of readdirSync(path)) total += sizeOf(join(path, entry))
  return total
}

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

const main = async () => {
  const args = process.argv.slice(2)
  const strict = args[0] === '--strict'
  const command = strict ? args.slice(1) : args
  if (command.length === 0) {
    console.error('Usage: node scripts/leftovers.mjs [--strict] <command> [args…], e.g. npm test')
    return 2
  }
  const folder = mkdtempSync(join(tmpdir(), 'll-leftovers-'))
  // As root, PostgreSQL runs as the `postgres` user, which must be able to enter the temporary folder.
  chmodSync(folder, 0o755)
  // Ctrl-C reaches the command too; this process waits for it and cleans up instead of dying first.
  const ignore = () => {}
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, ignore)
  try {
    const child = spawn(command[0], command.slice(1), {
      stdio: 'inherit',
      env: { ...process.env, TMPDIR: folder },
    })
    const code = await new Promise((resolve) => {
      child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal === null ? 1 : 128)))
      child.on('error', (error) => {
        console.error(`Could not run ${command[0]}: ${error.message}`)
        resolve(127)
      })
    })
    const entries = readdirSync(folder)
    const caches = entries.filter((entry) => CACHES.some((pattern) => pattern.test(entry)))
    const left = entries.filter((entry) => !caches.includes(entry))
    console.log(`\nLeft in the temporary directory by \`${command.join(' ')}\`:`)
    for (const entry of left) console.log(`  ${entry}  ${megabytes(sizeOf(join(folder, entry)))}`)
    if (left.length === 0) console.log('  nothing')
    if (caches.length > 0) console.log(`  (caches kept on purpose: ${caches.join(', ')})`)
    if (code !== 0) return code
    return strict && left.length > 0 ? 1 : 0
  } finally {
    rmSync(folder, { recursive: true, force: true })
  }
}

process.exitCode = await main()
