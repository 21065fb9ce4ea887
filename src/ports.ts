// The action's edges, as small interfaces: the core never imports @actions/core directly,
// so the plan/execute/wait logic can be driven by tests and by other front ends.

export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Runs fn inside a collapsible log group (one per phase). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Registers a value the runner must redact from every later log line. */
  mask(secret: string): void
}
