/**
 * The relay's logger. Info level carries counts and lifecycle only: never peer
 * ids, addresses or keys (they would turn the relay into a who-met-whom log).
 * Debug level may name peers and is for a developer's own machine.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

export function createLogger (level: LogLevel, write: (line: string) => void = (line) => { process.stdout.write(line + '\n') }): Logger {
  const at = (l: LogLevel) => (msg: string) => {
    if (ORDER[l] >= ORDER[level]) write(`${new Date().toISOString()} ${l} ${msg}`)
  }
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }
}
