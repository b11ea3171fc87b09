import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from '@jest/globals'
import { MemoryCgroup, memoryCgroupParent, ownMemoryCgroup, sweepAbandoned } from '../src/memory-cgroup.js'

const scratch = mkdtempSync(join(tmpdir(), 'memory-cgroup-test-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

const V1_MOUNTS = [
  '31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755',
  '32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu',
  '35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory',
  '40 31 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw',
].join('\n')

describe('ownMemoryCgroup', () => {
  test('cgroup v1: the memory hierarchy, beside a unified one without the controller', () => {
    // Act
    const parent = ownMemoryCgroup('8:pids:/\n4:memory:/jobs/a1\n1:cpu:/\n0::/', V1_MOUNTS, () => '')

    // Assess
    expect(parent).toEqual({ version: 1, dir: '/sys/fs/cgroup/memory/jobs/a1' })
  })

  test('cgroup v1 in a container: the mount shows only its own part of the hierarchy', () => {
    // Prepare
    const mounts = '35 31 0:32 /docker/c0ffee /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory'

    // Act
    const parent = ownMemoryCgroup('4:memory:/docker/c0ffee/job', mounts, () => '')

    // Assess
    expect(parent).toEqual({ version: 1, dir: '/sys/fs/cgroup/memory/job' })
  })

  test('cgroup v2: only when the memory controller is available', () => {
    // Prepare
    const mounts = '30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate'
    const controllers = (list: string) => (path: string) =>
      path === '/sys/fs/cgroup/cgroup.controllers' ? list : ''

    // Act
    const withMemory = ownMemoryCgroup(
      '0::/user.slice/app',
      mounts,
      controllers('cpuset cpu io memory pids\n'),
    )
    const without = ownMemoryCgroup('0::/user.slice/app', mounts, controllers('cpu pids\n'))

    // Assess
    expect(withMemory).toEqual({ version: 2, dir: '/sys/fs/cgroup/user.slice/app' })
    expect(without).toBeNull()
  })

  test('no cgroup file system, or a cgroup outside what is mounted: none', () => {
    expect(ownMemoryCgroup('', '', () => '')).toBeNull()
    expect(ownMemoryCgroup('0::/a', V1_MOUNTS.split('\n')[0] as string, () => 'memory')).toBeNull()
    const mounts = '35 31 0:32 /docker/c0ffee /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory'
    expect(ownMemoryCgroup('4:memory:/elsewhere', mounts, () => '')).toBeNull()
  })
})

describe('MemoryCgroup on a look-alike folder', () => {
  test('made with its limit and no swap; peak and kills read as the kernel writes them', () => {
    // Prepare: a plain folder stands for the cgroup file system
    const parent = { version: 1 as const, dir: join(scratch, 'v1') }
    mkdirSync(parent.dir)

    // Act
    const cgroup = MemoryCgroup.create('abc-1', 128, parent) as MemoryCgroup
    writeFileSync(join(cgroup.dir, 'memory.max_usage_in_bytes'), `${100 * 1024 * 1024 + 1}\n`)
    writeFileSync(join(cgroup.dir, 'memory.oom_control'), 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n')

    // Assess
    expect(cgroup.dir).toBe(join(parent.dir, `lambda-lifetime-${process.pid}-abc-1`))
    expect(readFileSync(join(cgroup.dir, 'memory.limit_in_bytes'), 'utf8')).toBe(String(128 * 2 ** 20))
    expect(readFileSync(join(cgroup.dir, 'memory.memsw.limit_in_bytes'), 'utf8')).toBe(String(128 * 2 ** 20))
    expect(cgroup.peakMb()).toBe(101)
    expect(cgroup.oomKills()).toBe(2)
    expect(cgroup.wrap('/usr/bin/node', ['a.js'])).toEqual({
      command: '/bin/sh',
      args: ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup.dir, '/usr/bin/node', 'a.js'],
    })
  })

  test('v2 files; nothing readable yet is no peak and no kill', () => {
    // Prepare
    const parent = { version: 2 as const, dir: join(scratch, 'v2') }
    mkdirSync(parent.dir)

    // Act
    const cgroup = MemoryCgroup.create('abc-2', 256, parent) as MemoryCgroup
    const before = { peak: cgroup.peakMb(), kills: cgroup.oomKills() }
    writeFileSync(join(cgroup.dir, 'memory.peak'), `${3 * 1024 * 1024}\n`)
    writeFileSync(join(cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n')

    // Assess
    expect(before).toEqual({ peak: null, kills: 0 })
    expect(readFileSync(join(cgroup.dir, 'memory.max'), 'utf8')).toBe(String(256 * 2 ** 20))
    expect(readFileSync(join(cgroup.dir, 'memory.swap.max'), 'utf8')).toBe('0')
    expect(cgroup.peakMb()).toBe(3)
    expect(cgroup.oomKills()).toBe(1)
  })

  test('a cgroup whose processes do not go is given up after the bound, not waited on forever', async () => {
    // Prepare: a look-alike folder with files in it cannot be removed, as a cgroup with processes cannot
    const parent = { version: 1 as const, dir: join(scratch, 'stuck') }
    mkdirSync(parent.dir)
    const cgroup = MemoryCgroup.create('abc-3', 128, parent) as MemoryCgroup

    // Act
    const removed = await cgroup.remove(50)

    // Assess
    expect(removed).toBe(false)
    expect(existsSync(cgroup.dir)).toBe(true)
  })

  test('sweeping a parent that is not there does nothing', () => {
    expect(() => sweepAbandoned({ version: 2, dir: join(scratch, 'absent') })).not.toThrow()
  })

  test('a parent that cannot be written gives no cgroup', () => {
    expect(MemoryCgroup.create('x', 128, { version: 1, dir: join(scratch, 'missing') })).toBeNull()
    expect(MemoryCgroup.create('x', 128, null)).toBeNull()
  })

  test("the sweep removes what dead emulators left, not a live emulator's", async () => {
    // Prepare: a pid that exited is a dead emulator's; this process is a live one
    const parent = { version: 1 as const, dir: join(scratch, 'sweep') }
    const gone = spawn(process.execPath, ['-e', ''])
    await new Promise((resolve) => gone.once('exit', resolve))
    const abandoned = join(parent.dir, `lambda-lifetime-${gone.pid}-abc-1`)
    const live = join(parent.dir, `lambda-lifetime-${process.pid}-abc-1`)
    const other = join(parent.dir, 'someone-else')
    for (const dir of [abandoned, live, other]) mkdirSync(dir, { recursive: true })

    // Act
    sweepAbandoned(parent)

    // Assess
    expect([existsSync(abandoned), existsSync(live), existsSync(other)]).toEqual([false, true, true])
  })
})

const parent = memoryCgroupParent()

// Only where this machine lets the emulator make memory cgroups (root on cgroup v1, or a delegated v2).
;(parent === null ? describe.skip : describe)('MemoryCgroup on this machine’s kernel', () => {
  test('a process past the limit is killed by the kernel, counted, and the peak is the limit', async () => {
    // Prepare
    const cgroup = MemoryCgroup.create('test-kill', 128) as MemoryCgroup
    try {
      const { command, args } = cgroup.wrap(process.execPath, ['-e', 'Buffer.alloc(200 * 2 ** 20, 1)'])

      // Act
      const child = spawn(command, args, { stdio: 'ignore' })
      const signal = await new Promise((resolve) => child.once('exit', (_code, name) => resolve(name)))

      // Assess
      expect(signal).toBe('SIGKILL')
      expect(cgroup.oomKills()).toBe(1)
      expect(cgroup.peakMb()).toBe(128)
    } finally {
      // Assess: nothing is left in it, so it goes
      expect(await cgroup.remove()).toBe(true)
    }
    expect(existsSync(cgroup.dir)).toBe(false)
  })

  test('a process still in it when it is removed is killed: it belonged to the environment', async () => {
    // Prepare
    const cgroup = MemoryCgroup.create('test-remove', 128) as MemoryCgroup
    const { command, args } = cgroup.wrap(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'])
    const child = spawn(command, args, { stdio: 'ignore' })
    const exited = new Promise((resolve) => child.once('exit', (_code, name) => resolve(name)))
    while (readFileSync(join(cgroup.dir, 'cgroup.procs'), 'utf8').trim() === '') {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }

    // Act
    const removed = await cgroup.remove()

    // Assess
    expect(removed).toBe(true)
    expect(await exited).toBe('SIGKILL')
  })
})
