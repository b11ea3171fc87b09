/**
 * The report reads schema 1 and schema 2 lines, alone or mixed in one log in any order, and its counts
 * stay exact: property tests over arbitrary logs of containers written by either writer, some sampled.
 */
import { describe, expect, it } from '@jest/globals'
import { checkLifecycleLine } from '@lambda-lifetime/commons'
import { buildReport } from '@lambda-lifetime/report'
import fc from 'fast-check'

const T0 = Date.parse('2026-12-04T10:00:00Z')

type Ending = 'ok' | 'error' | 'clientError'

interface ContainerPlan {
  readonly version: 1 | 2
  readonly endings: readonly Ending[]
  /** Per-container sampling (schema 2 only): the first `first` lines, then one in `oneIn`. */
  readonly sampling: { readonly first: number; readonly oneIn: number } | null
  readonly shutdown: boolean
}

const containerPlan: fc.Arbitrary<ContainerPlan> = fc
  .record({
    version: fc.constantFrom<1 | 2>(1, 2),
    endings: fc.array(fc.constantFrom<Ending>('ok', 'ok', 'ok', 'error', 'clientError'), {
      minLength: 1,
      maxLength: 30,
    }),
    sampling: fc.option(fc.record({ first: fc.nat(5), oneIn: fc.integer({ min: 2, max: 5 }) }), {
      nil: null,
    }),
    shutdown: fc.boolean(),
  })
  .map((plan) => (plan.version === 1 ? { ...plan, sampling: null } : plan))

interface Written {
  readonly lines: Record<string, unknown>[]
  /** The `invocation.end` lines the sampling rule kept (not the ones kept because they failed). */
  readonly onRule: number[]
  /**
   * The invocations a reader can know of: all of them after a shutdown line (it gives the total), else up
   * to the last one with a line (the ones after it, sampled out, left no trace).
   */
  readonly known: number
}

/** The lines one container's writer puts in the log, as schema 1 or schema 2 shapes them. */
const linesOf = (plan: ContainerPlan, index: number): Written => {
  const id = `c${index}-0000-4000-8000-000000000000`
  const at = (ms: number) => new Date(T0 + index * 1_000 + ms).toISOString()
  const v1 = plan.version === 1
  const context = { level: 'INFO', service: 'orders', function_name: 'orders', sampling_rate: 0 }
  const named = (event: string) => (v1 ? { message: event, event } : { message: event })
  const lines: Record<string, unknown>[] = [
    {
      ...context,
      ...named('container.start'),
      timestamp: at(0),
      lifecycle_schema: plan.version,
      container_id: id,
      container_age_ms: 100,
      invocation: 1,
      cold_start: true,
      start_type: 'cold',
      ...(v1 ? { idle_ms: 0 } : {}),
      init_type: 'on-demand',
      since_runtime_start_ms: 100,
      runtime_started_at: at(-100),
      ...(plan.sampling === null
        ? {}
        : { sample_rate: 1 / plan.sampling.oneIn, sample_first: plan.sampling.first }),
    },
  ]
  const onRule: number[] = []
  plan.endings.forEach((ending, position) => {
    const invocation = position + 1
    const failed = ending !== 'ok'
    let marks: Record<string, number> = {}
    if (plan.sampling !== null && invocation > plan.sampling.first) {
      const { first, oneIn } = plan.sampling
      if ((invocation - first) % oneIn === 0) {
        marks = { sample_rate: 1 / oneIn, sample_first: first }
        onRule.push(lines.length)
      } else if (failed) marks = { sample_rate: 1 }
      else return
    } else onRule.push(lines.length)
    const outcome = ending === 'error' ? 'error' : 'success'
    const status = ending === 'clientError' ? 404 : ending === 'error' ? 500 : 200
    const common = {
      ...named('invocation.end'),
      timestamp: at(invocation * 10),
      lifecycle_schema: plan.version,
    }
    const perInvocation = { invocation, duration_ms: 5, status_code: status, ...marks }
    lines.push(
      v1
        ? {
            ...context,
            ...common,
            container_id: id,
            container_age_ms: 100 + invocation * 10,
            cold_start: invocation === 1,
            start_type: invocation === 1 ? 'cold' : 'warm',
            idle_ms: invocation === 1 ? 0 : 5,
            outcome,
            ...perInvocation,
          }
        : {
            level: 'INFO',
            service: 'orders',
            ...common,
            container_id: id,
            ...(invocation === 1 ? { start_type: 'cold' } : { idle_ms: 5 }),
            ...(outcome === 'success' ? {} : { outcome }),
            ...perInvocation,
          },
    )
  })
  if (plan.shutdown) {
    lines.push({
      ...named('container.shutdown'),
      timestamp: at(10_000),
      lifecycle_schema: plan.version,
      container_id: id,
      container_age_ms: 10_100,
      invocations: plan.endings.length,
      reason: 'spindown',
    })
  }
  const lastLogged = Math.max(...lines.map((line) => Number(line.invocation ?? 0)))
  return { lines, onRule, known: plan.shutdown ? plan.endings.length : lastLogged }
}

const count = (plans: readonly ContainerPlan[], ending: Ending): number =>
  plans.reduce((sum, plan) => sum + plan.endings.filter((each) => each === ending).length, 0)

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0)

describe('the report on logs of schema 1 and 2 writers', () => {
  it('counts containers, invocations, errors and lines exactly, whatever the mix and the order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(containerPlan, { minLength: 1, maxLength: 8 }),
        fc.infiniteStream(fc.nat()),
        async (plans, shuffle) => {
          // Prepare: every container's lines, interleaved in an arbitrary order (a merged export)
          const written = plans.map((plan, index) => linesOf(plan, index))
          const lines = written.flatMap(({ lines }) => lines)
          for (const line of lines) expect(checkLifecycleLine(line)).toEqual([])
          const draws = shuffle.take(lines.length)
          const order = [...lines.keys()].sort(
            (a, b) => (draws.next().value as number) - (draws.next().value as number) || a - b,
          )

          // Act
          const model = await buildReport(order.map((index) => JSON.stringify(lines[index])))

          // Assess
          const ends = lines.filter((line) => line.message === 'invocation.end').length
          const known = sum(written.map((each) => each.known))
          expect(model.schemaVersionsRead).toEqual([...new Set(plans.map((plan) => plan.version))].sort())
          expect(model.summary).toMatchObject({
            containers: plans.length,
            invocations: known,
            coldStarts: plans.length,
            errors: count(plans, 'error'),
            clientErrors: count(plans, 'clientError'),
            shutdowns: plans.filter((plan) => plan.shutdown).length,
            invocationLines: {
              read: ends,
              sampledOut: known - ends,
              missing: 0,
            },
          })
          expect(model.skipped.invalid).toBe(0)
        },
      ),
      { numRuns: 150 },
    )
  })

  it('counts a line the sampling rule kept and the log lost as missing, not as sampled out', async () => {
    await fc.assert(
      fc.asyncProperty(containerPlan, fc.nat(), async (plan, pick) => {
        // Prepare: a container that shut down (so its total is known); one line on the rule is lost
        const { lines, onRule } = linesOf({ ...plan, shutdown: true }, 0)
        fc.pre(onRule.length > 0)
        const lost = onRule[pick % onRule.length] as number
        const kept = lines.filter((_line, index) => index !== lost)

        // Act
        const model = await buildReport(kept.map((line) => JSON.stringify(line)))

        // Assess
        const ends = kept.filter((line) => line.message === 'invocation.end').length
        expect(model.summary.invocations).toBe(plan.endings.length)
        expect(model.summary.invocationLines).toEqual({
          read: ends,
          sampledOut: plan.endings.length - ends - 1,
          missing: 1,
        })
      }),
      { numRuns: 150 },
    )
  })
})
