/**
 * Some cases must not share a process with others: lifecycleLogger subscribes to the container's
 * process-wide event bus when it is created, so once one exists every containerLifetime() invocation in
 * that process writes its lines. Such a group of cases runs in a child process of its own (with its
 * baselines, interleaved as usual), and hands its per-round samples back over IPC.
 */
import { fork } from 'node:child_process'

/** Runs `file` (a bench module with a child entry) with `args`; resolves with the message it sends. */
export const inChild = <T>(file: URL, args: readonly string[]): Promise<T> =>
  new Promise((resolve, reject) => {
    const child = fork(file, [...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let answer: { ok: true; value: T } | { ok: false; error: string } | undefined
    child.once('message', (message) => {
      answer = message as typeof answer
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (answer?.ok === true) resolve(answer.value)
      else reject(new Error(answer?.error ?? `${file.pathname} ${args.join(' ')} exited with ${code}`))
    })
  })

/** The child side: computes the answer, sends it to the parent, and exits. */
export const answerParent = async <T>(compute: () => Promise<T>): Promise<void> => {
  const send = (message: unknown) =>
    new Promise<void>((resolve) =>
      (process.send as NonNullable<typeof process.send>)(message, () => resolve()),
    )
  try {
    await send({ ok: true, value: await compute() })
  } catch (error) {
    await send({ ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) })
  }
  process.exit(0)
}
