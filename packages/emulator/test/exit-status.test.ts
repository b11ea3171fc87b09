import { describe, expect, test } from '@jest/globals'
import { exitStatus, samplePeakMb } from '../src/exit-status.js'

describe('exitStatus and samplePeakMb', () => {
  test('signals are named as Go names them, as Lambda writes them', () => {
    expect(exitStatus(null, 'SIGKILL')).toBe('signal: killed')
    expect(exitStatus(null, 'SIGSEGV')).toBe('signal: segmentation fault')
    expect(exitStatus(null, 'SIGWINCH')).toBe('signal: SIGWINCH')
    expect(exitStatus(2, null)).toBe('exit status 2')
  })

  test('the peak never goes down; a gone process leaves the last peak', () => {
    const now = samplePeakMb(null, [process.pid]) as number
    expect(now).toBeGreaterThan(0)
    expect(samplePeakMb(now + 1000, [process.pid])).toBe(now + 1000)
    expect(samplePeakMb(7, [2 ** 22 + 1])).toBe(7)
    expect(samplePeakMb(7, [])).toBe(7)
  })
})
