import type { EmulatorEvent } from '@lambda-lifetime/emulator'

/** One terminal line for an emulator event (time, `describeEvent`, container), or null. */
export declare function terminalLine(event: EmulatorEvent, now?: number): string | null
