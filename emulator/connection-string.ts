// The connected registry connection string, parsed the way the instance does:
// `;`-separated `Key=Value` segments, split on the FIRST `=` (passwords may contain `=`).

export interface ConnectionString {
  connectedRegistryName: string
  syncTokenName: string
  syncTokenPassword: string
  parentGatewayEndpoint: string
  parentEndpointProtocol: string
}

const REQUIRED: [keyof ConnectionString, string][] = [
  ['connectedRegistryName', 'ConnectedRegistryName'],
  ['syncTokenName', 'SyncTokenName'],
  ['syncTokenPassword', 'SyncTokenPassword'],
  ['parentGatewayEndpoint', 'ParentGatewayEndpoint'],
  ['parentEndpointProtocol', 'ParentEndpointProtocol']
]

export function parseConnectionString(text: string): ConnectionString | { error: string } {
  const values = new Map<string, string>()
  for (const [index, segment] of text.trim().split(';').entries()) {
    if (segment === '') continue
    const i = segment.indexOf('=')
    // Named by position only: a malformed segment may be a password, and this text ends up in
    // the extension's statuses, which any reader of the extension sees.
    if (i <= 0) return { error: `segment ${index + 1} is not of the form Key=Value` }
    values.set(segment.slice(0, i).trim().toLowerCase(), segment.slice(i + 1))
  }
  const result: Partial<ConnectionString> = {}
  const missing: string[] = []
  for (const [field, name] of REQUIRED) {
    const v = values.get(name.toLowerCase())
    if (v === undefined || v === '') missing.push(name)
    else result[field] = v
  }
  if (missing.length > 0) return { error: `missing ${missing.join(', ')}` }
  const parsed = result as ConnectionString
  parsed.parentEndpointProtocol = parsed.parentEndpointProtocol.toLowerCase()
  if (!['http', 'https'].includes(parsed.parentEndpointProtocol)) {
    return {
      error: `ParentEndpointProtocol must be 'http' or 'https', got '${parsed.parentEndpointProtocol}'`
    }
  }
  return parsed
}
