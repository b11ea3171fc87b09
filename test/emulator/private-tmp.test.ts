/** What the terminal says about the sandbox: /tmp per environment where the machine allows (a mount namespace), and the freeze when it is off. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { privateTmpAvailable } from '../../packages/emulator/src/sandbox.js'
import { fn, withEmulator } from './harness.js'

const notices = (events: readonly { type: string; message?: string }[]) =>
  events.flatMap((event) => (event.type === 'emulator.notice' ? [event.message] : []))

describe('/tmp', () => {
  test('with privateTmp, a hard-coded /tmp is the environment’s own folder, not the host’s', () => {
    const name = `private-tmp-${process.pid}-${Date.now()}`
    return withEmulator(
      [fn('tmp', 'tmp-writer.handler')],
      { privateTmp: true },
      async ({ invoke, emulator, events }) => {
        // Act
        const { body } = await invoke('tmp', { name })

        // Assess
        const [environment] = emulator.environments('tmp')
        if (privateTmpAvailable()) {
          expect(body.tmpdir).toBe('/tmp')
          expect(body.listing).toEqual([name])
          expect(existsSync(join('/tmp', name))).toBe(false)
          expect(existsSync(join(environment?.tmpDir as string, name))).toBe(true)
          expect(notices(events)).toContainEqual(expect.stringMatching(/^\/tmp: private per environment/))
        } else {
          expect(notices(events)).toContainEqual(
            expect.stringContaining('privateTmp needs Linux, unshare and root'),
          )
        }
      },
    )
  })

  test('by default the terminal says /tmp is shared and TMPDIR is the environment’s', () =>
    withEmulator([fn('tmp', 'env.handler')], {}, async ({ events }) => {
      expect(notices(events)).toContainEqual(
        expect.stringMatching(/^\/tmp: shared with the host; each environment has its own TMPDIR/),
      )
    }))
})

describe('freeze', () => {
  test('with freeze off, the terminal says the runtimes keep running, unlike on Lambda (issue 14)', () =>
    withEmulator([fn('tmp', 'env.handler')], { freeze: false }, async ({ events }) => {
      expect(notices(events)).toContainEqual(expect.stringMatching(/^freeze: off: runtimes keep running/))
    }))

  test('by default nothing is said about the freeze: it is Lambda’s behaviour', () =>
    withEmulator([fn('tmp', 'env.handler')], {}, async ({ events }) => {
      expect(notices(events).some((message) => message?.startsWith('freeze'))).toBe(false)
    }))
})
