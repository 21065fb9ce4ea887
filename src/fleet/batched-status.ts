// While many sites wait for Online, one LIST of a registry's connected registries answers them
// all (up to 50 per registry, Azure's limit) instead of one GET per site: the reads of a cycle
// are coalesced per registry. A read is served by a LIST that started no earlier than it may be
// (`notBefore`, such as right after the site's own write) and not too long ago (`maxAgeMs`,
// typically the poll interval), so a site never sees a state older than its own polling would.

import type { ConnectedRegistry } from '@azure/arm-containerregistry'

/** The one read it needs (the wiring pages through acr.connectedRegistries.list). */
export interface ConnectedRegistryLister {
  listConnectedRegistries(resourceGroup: string, registry: string): Promise<ConnectedRegistry[]>
}

interface Listing {
  startedAt: number
  result: Promise<ConnectedRegistry[]>
}

export interface BatchedStatusOptions {
  /** How old a LIST may be to answer a read: the poll interval, one LIST per cycle. */
  maxAgeMs: number
  now?: () => number
}

export class BatchedStatusReader {
  private readonly listings = new Map<string, Listing>()
  /** LISTs sent and reads answered, for the log and the benchmark. */
  readonly stats = { lists: 0, reads: 0 }

  constructor(
    private readonly lister: ConnectedRegistryLister,
    private readonly options: BatchedStatusOptions
  ) {}

  /** The connected registry as of a LIST no older than allowed; undefined when it does not
   * exist. A failed LIST fails every read it was serving, and the next read lists again. */
  async read(
    resourceGroup: string,
    registry: string,
    name: string,
    notBefore?: number
  ): Promise<ConnectedRegistry | undefined> {
    this.stats.reads++
    const list = await this.listing(resourceGroup, registry, notBefore)
    return list.find((cr) => cr.name?.toLowerCase() === name.toLowerCase())
  }

  private listing(
    resourceGroup: string,
    registry: string,
    notBefore?: number
  ): Promise<ConnectedRegistry[]> {
    const now = (this.options.now ?? Date.now)()
    const key = `${resourceGroup}/${registry}`.toLowerCase()
    const oldest = Math.max(now - this.options.maxAgeMs, notBefore ?? Number.NEGATIVE_INFINITY)
    const current = this.listings.get(key)
    if (current && current.startedAt >= oldest) return current.result
    this.stats.lists++
    const listing: Listing = {
      startedAt: now,
      result: this.lister.listConnectedRegistries(resourceGroup, registry)
    }
    this.listings.set(key, listing)
    listing.result.catch(() => {
      if (this.listings.get(key) === listing) this.listings.delete(key)
    })
    return listing.result
  }
}
