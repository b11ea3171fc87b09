import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { buildReport, readLifecycleLines } from '@lambda-lifetime/report'
import { generateLifecycleLog } from './support/generate.js'

describe('generateLifecycleLog (test support)', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'report-generate-'))
  })

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('writes a file whose report matches the known answers', async () => {
    // Prepare
    const file = join(dir, 'day.log')

    // Act
    const answers = await generateLifecycleLog(
      { lines: 30_000, containers: 40, seed: 11, managedInstances: true },
      file,
    )
    const model = await buildReport(readLifecycleLines(file))

    // Assess
    expect(model.lines.total).toBe(answers.lines)
    expect(model.summary).toMatchObject({
      containers: 40,
      environments: answers.environments,
      invocations: answers.invocations,
      preInitialized: 40,
      coldStarts: 0,
      restarts: answers.restarts,
    })
  })

  it('writes to a stream it does not own, without ending it, every line a lifecycle line when noise is 0', async () => {
    // Prepare
    const stream = new PassThrough()
    const chunks: Buffer[] = []
    stream.on('data', (chunk: Buffer) => chunks.push(chunk))

    // Act
    const answers = await generateLifecycleLog({ lines: 200, containers: 2, noise: 0 }, stream)

    // Assess
    expect(stream.writableEnded).toBe(false)
    const lines = Buffer.concat(chunks)
      .toString()
      .split('\n')
      .filter((line) => line !== '')
    expect(lines).toHaveLength(answers.lines)
    expect(answers.skipped).toEqual({ platform: 0, text: 0, json: 0, invalid: 0, newerSchema: 0, tooLong: 0 })
    const model = await buildReport(lines)
    expect(model.lines).toEqual({ total: answers.lines, lifecycle: answers.lines })
    expect(model.summary.containers).toBe(2)
  })
})
