// Request journal: what was called, how it ended, how long it took.
// It never stores bodies, headers or query strings, so no secret can end up here.

export interface JournalEntry {
  /** ISO time the request arrived. */
  time: string
  method: string
  /** Path without the query string. */
  path: string
  apiVersion?: string
  /** operationId, e.g. 'ConnectedRegistries_Create', 'OperationStatus_Get', 'Token_Request'. */
  operation: string
  status: number
  requestId: string
  /** PUT/PATCH/POST/DELETE on an ARM resource (incl. generateCredentials, deactivate). */
  write: boolean
  durationMs: number
  /** Application (client) id of the caller when known. */
  clientId?: string
  /** Set when a scripted fault shaped this answer. */
  fault?: string
}

const MAX_ENTRIES = 10_000

export class Journal {
  private entries: JournalEntry[] = []
  private readonly listeners = new Set<(entry: JournalEntry) => void>()

  record(entry: JournalEntry): void {
    this.entries.push(entry)
    // A long benchmark must not grow memory without bound.
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES)
    for (const listener of this.listeners) listener({ ...entry })
  }

  /** Calls `listener` with each entry as it is recorded (right after its answer is sent). */
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  list(): JournalEntry[] {
    return this.entries.map((e) => ({ ...e }))
  }

  clear(): void {
    this.entries = []
  }
}
