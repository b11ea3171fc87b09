/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number>

/** True when something already listens on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean>
