/** What the terminal says about the sandbox: /tmp per environment where the machine allows (a mount namespace), and the freeze when it is off. */
import { copyFileSync, existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from '@jest/globals'
import { privateTmpAvailable } from '../../packages/emulator/src/sandbox.js'
import { fixtures, fn, withEmulator } from './harness.js'

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
        const [said] = notices(events).filter((message) => message?.startsWith('/tmp:'))
        if (said?.startsWith('/tmp: private per environment')) {
          expect(body.tmpdir).toBe('/tmp')
          expect(body.listing).toEqual([name])
          expect(existsSync(join('/tmp', name))).toBe(false)
          expect(existsSync(join(environment?.tmpDir as string, name))).toBe(true)
        } else {
          // No mount namespace here, or one would hide what the runtime needs (a checkout under /tmp):
          // the terminal says why, and the environment keeps its own TMPDIR.
          expect(said).toMatch(
            privateTmpAvailable() ? /a private \/tmp would hide/ : /privateTmp needs Linux/,
          )
          expect(body.tmpdir).toBe(environment?.tmpDir)
          rmSync(join('/tmp', name), { force: true })
        }
      },
    )
  })

  test('a function whose code is under /tmp keeps a shared /tmp, and the terminal says what a private one would hide', async () => {
    // Prepare: the function's code in a folder under /tmp, as a checkout or a CI clone there would be
    const codeDir = mkdtempSync('/tmp/ll-code-under-tmp-')
    copyFileSync(join(fixtures, 'tmp-writer.mjs'), join(codeDir, 'tmp-writer.mjs'))
    const name = `hidden-${process.pid}-${Date.now()}`
    try {
      await withEmulator(
        [{ name: 'tmp', handler: 'tmp-writer.handler', codeDir }],
        { privateTmp: true },
        async ({ invoke, emulator, events }) => {
          // Act
          const { body } = await invoke('tmp', { name })

          // Assess: it ran, with its own TMPDIR, and the terminal said why /tmp is shared
          expect(body.tmpdir).toBe(emulator.environments('tmp')[0]?.tmpDir)
          const said = notices(events).find((message) => message?.startsWith('/tmp:'))
          if (privateTmpAvailable())
            expect(said).toContain(`a private /tmp would hide ${realpathSync(codeDir)}`)
        },
      )
    } finally {
      rmSync(codeDir, { recursive: true, force: true })
      rmSync(join('/tmp', name), { force: true })
    }
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
