/**
 * The per-invocation keys on the lines users write. Powertools merges a logger's persistent keys into
 * every line and serializes the line with `JSON.stringify`, which calls a value's `toJSON()`: a key
 * whose value is an `InvocationKey` is therefore read when the line is written, from the invocation
 * running in that async context (`currentInvocation()`, which reads the runtime's invoke store under
 * Managed Instances). Appended once per logger, they cost nothing per invocation, are right under
 * concurrency, and vanish from lines written outside an invocation.
 */
import { currentInvocation, type InvocationView } from '@lambda-lifetime/container'

/** A log key value resolved at serialization time from the current invocation; omitted outside one. */
class InvocationKey {
  readonly #read: (view: InvocationView) => unknown

  constructor(read: (view: InvocationView) => unknown) {
    this.#read = read
  }

  toJSON(): unknown {
    const view = currentInvocation()
    return view === undefined ? undefined : this.#read(view)
  }
}

/**
 * Schema 2 keeps the user's lines small too: the invocation number joins a line to its `invocation.end`
 * (start type, idle time) and its container's `container.start` (everything constant). `cold_start`
 * replaces Powertools' own, which says true for the first invocation of a runtime even when its init was
 * not on the request path (provisioned concurrency, Managed Instances); it costs no byte.
 */
export const INVOCATION_KEYS: Readonly<Record<string, InvocationKey>> = Object.freeze({
  invocation: new InvocationKey((view) => view.invocation),
  cold_start: new InvocationKey((view) => view.coldStart),
})
