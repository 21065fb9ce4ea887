// Local Azure control-plane emulator for the connected-registry action:
// ARM (Microsoft.ContainerRegistry, Microsoft.KubernetesConfiguration,
// Microsoft.Kubernetes, resource groups), Entra ID token issuance and the
// GitHub Actions OIDC endpoint, over HTTPS on 127.0.0.1, with a simulated
// cluster side. Never imported by src/ and never bundled.
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { createAdmin, type EmulatorAdmin, type EmulatorSecrets } from './admin.js'
import { authorizationRoutes } from './arm/authorization.js'
import { clusterRoutes } from './arm/clusters.js'
import type { ArmEnv } from './arm/common.js'
import { connectedRegistryRoutes } from './arm/connectedregistries.js'
import { extensionRoutes } from './arm/extensions.js'
import { registryRoutes } from './arm/registries.js'
import { cloudMetadataRoutes, subscriptionRoutes } from './arm/subscriptions.js'
import { tokenRoutes } from './arm/tokens.js'
import { ClusterSimulator } from './cluster-sim.js'
import { FaultStore } from './faults.js'
import { Router } from './http.js'
import { TokenService, identityRoutes } from './identity.js'
import { Journal } from './journal.js'
import { createKubeApi, type KubeApi } from './kube/index.js'
import { Operations } from './lro.js'
import { applySeed, resolveSeed, type Seed } from './seed.js'
import { createRequestHandler } from './server.js'
import { Throttle } from './throttle.js'
import { createTlsMaterial } from './tls.js'
import { World } from './world.js'

export type { EmulatorAdmin, EmulatorSecrets, EmulatorState } from './admin.js'
export type { ActiveFault, FaultKind, FaultRule } from './faults.js'
export type { JournalEntry } from './journal.js'
export type { KubeApi, KubeSeed, KubeWrite } from './kube/index.js'
export type { Seed } from './seed.js'
export type { ThrottleConfig } from './throttle.js'
export type { Timing, WorldEvent } from './world.js'
export { DEFAULT_SEED_PATH, loadSeedFile } from './seed.js'

export interface StartOptions {
  /** 0 (default) = a free port. */
  port?: number
  /** Seed object or path to a .yaml/.json file; default emulator/default-seed.yaml. */
  seed?: Seed | string
  /** No request log on stderr. */
  quiet?: boolean
  /** Directory for the CA certificate file (default: a new temp dir, removed on stop). */
  certDir?: string
}

export interface RunningEmulator {
  /** https://127.0.0.1:<port> */
  url: string
  /** PEM file of the generated CA (for NODE_EXTRA_CA_CERTS). */
  caPath: string
  caPem: string
  /** ARM_ENDPOINT, AUTHORITY_HOST, NODE_EXTRA_CA_CERTS, AZURE_*, ACTIONS_ID_TOKEN_REQUEST_*, EMULATOR_ADMIN_URL, and for az: REQUESTS_CA_BUNDLE, AZ_ENDPOINT_*. */
  env: Record<string, string>
  admin: EmulatorAdmin
  /**
   * The simulated clusters' Kubernetes API; `kube.kubeconfigPath` is its kubeconfig (not in
   * `env`, so a run gets cluster access only when a test gives it on purpose).
   */
  kube: KubeApi
  stop(): Promise<void>
}

export async function startEmulator(opts: StartOptions = {}): Promise<RunningEmulator> {
  // One GitHub request token for the emulator's lifetime, so `env` stays valid across resets.
  const requestToken = `ghs_${randomBytes(24).toString('base64url')}`
  const withDefaults = (seed: Seed): Seed => ({
    ...seed,
    github: { requestToken, ...(seed.github ?? {}) }
  })
  const initialSeed = withDefaults(resolveSeed(opts.seed))

  const tls = await createTlsMaterial(opts.certDir)
  let baseUrl = ''
  const world = new World()
  const faults = new FaultStore()
  const throttle = new Throttle()
  const journal = new Journal()
  const ops = new Operations(world, (ctx) => {
    if (ctx.lroFailure) faults.consume(ctx.lroFailure)
  })
  const sim = new ClusterSimulator(world, ops)
  const tokens = new TokenService(world, () => baseUrl)
  const env: ArmEnv = { world, ops, sim }
  const kube = createKubeApi({
    world,
    caPem: tls.caPem,
    directory: path.dirname(tls.caPath),
    baseUrl: () => baseUrl,
    quiet: opts.quiet ?? false
  })

  const router = new Router()
  router.add(
    ...identityRoutes(world, tokens),
    ...cloudMetadataRoutes(),
    ...subscriptionRoutes(env),
    ...clusterRoutes(env),
    ...registryRoutes(env),
    ...connectedRegistryRoutes(env),
    ...tokenRoutes(env),
    ...extensionRoutes(env),
    ...authorizationRoutes(env)
  )

  // Secrets seen since the last reset (kept for leak scans even after rotation or deletion).
  const protectedHistory: EmulatorSecrets['extensionProtectedSettings'] = []
  // Per extension ID, the JSON of its newest entry in protectedHistory (the last settings captured).
  const lastProtected = new Map<string, string>()
  const passwordHistory = new Map<string, { tokenId: string; slot: string; value: string }>()

  const applyWorld = (seed: Seed): void => {
    protectedHistory.length = 0
    lastProtected.clear()
    passwordHistory.clear()
    applySeed(world, seed, Date.now(), ops, sim)
    faults.clear()
    for (const rule of seed.faults ?? []) faults.add(rule)
    throttle.set(seed.throttle ?? null, Date.now())
    journal.clear()
    kube.reset()
  }

  // Secrets are captured as they arrive (after every change), so rotated-out values stay known.
  const captureSecrets = (): void => {
    for (const ext of world.extensions.values()) {
      if (Object.keys(ext.protectedSettings).length === 0) continue
      const settings = JSON.stringify(ext.protectedSettings)
      if (lastProtected.get(ext.id) !== settings) {
        lastProtected.set(ext.id, settings)
        protectedHistory.push({
          extensionId: ext.id,
          time: new Date().toISOString(),
          settings: { ...ext.protectedSettings }
        })
      }
    }
    for (const token of world.tokens.values()) {
      for (const slot of ['password1', 'password2'] as const) {
        const value = token.passwords[slot]?.value
        if (value && !passwordHistory.has(value))
          passwordHistory.set(value, { tokenId: token.id, slot, value })
      }
    }
  }
  world.onSettle(captureSecrets)

  const applyAndCapture = (seed: Seed): void => {
    applyWorld(seed)
    captureSecrets()
  }
  applyAndCapture(initialSeed)

  const collectSecrets = (): EmulatorSecrets => {
    world.advance(Date.now())
    captureSecrets()
    const currentValues = new Set(
      [...world.tokens.values()].flatMap((t) => Object.values(t.passwords).map((p) => p?.value))
    )
    const secrets: EmulatorSecrets = {
      clientSecrets: [...world.servicePrincipals.values()].map((sp) => ({
        clientId: sp.clientId,
        clientSecret: sp.clientSecret
      })),
      githubRequestToken: world.github.requestToken,
      tokenPasswords: [...passwordHistory.values()].map((p) => ({
        ...p,
        current: currentValues.has(p.value)
      })),
      accessTokens: tokens.issuedAccessTokens(),
      oidcTokens: tokens.issuedOidcTokens(),
      extensionProtectedSettings: protectedHistory.map((p) => ({
        ...p,
        settings: { ...p.settings }
      })),
      all: []
    }
    const all = new Set<string>([
      ...secrets.clientSecrets.map((s) => s.clientSecret),
      secrets.githubRequestToken,
      ...secrets.tokenPasswords.map((p) => p.value),
      ...secrets.accessTokens,
      ...secrets.oidcTokens,
      ...secrets.extensionProtectedSettings.flatMap((p) => Object.values(p.settings)),
      // The kubeconfig's bearer token is a credential like any other.
      kube.token
    ])
    // Very short values (e.g. "true") would match everywhere and are not secrets worth scanning for.
    secrets.all = [...all].filter((s) => s.length >= 8)
    return secrets
  }

  const admin = createAdmin({
    env,
    tokens,
    faults,
    throttle,
    journal,
    reset: (seed) =>
      applyAndCapture(withDefaults(seed === undefined ? initialSeed : resolveSeed(seed))),
    secrets: collectSecrets
  })

  const armHandler = createRequestHandler({
    router,
    world,
    tokens,
    faults,
    throttle,
    journal,
    admin: () => admin,
    baseUrl: () => baseUrl,
    quiet: opts.quiet ?? false
  })
  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    if (!kube.handles(new URL(req.url ?? '/', 'https://127.0.0.1').pathname)) {
      armHandler(req, res)
      return
    }
    kube.handle(req, res).catch((e: unknown) => {
      console.error(`[emulator] kube: ${(e as Error).stack ?? String(e)}`)
      if (!res.headersSent) res.writeHead(500)
      res.end()
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  baseUrl = `https://127.0.0.1:${port}`
  kube.writeKubeconfig()

  const sp = [...world.servicePrincipals.values()][0]
  const envVars: Record<string, string> = {
    ARM_ENDPOINT: baseUrl,
    AUTHORITY_HOST: baseUrl,
    NODE_EXTRA_CA_CERTS: tls.caPath,
    AZURE_SUBSCRIPTION_ID: [...world.subscriptions.values()][0]?.id ?? '',
    AZURE_TENANT_ID: world.tenantId,
    AZURE_CLIENT_ID: sp?.clientId ?? '',
    AZURE_CLIENT_SECRET: sp?.clientSecret ?? '',
    ACTIONS_ID_TOKEN_REQUEST_URL: `${baseUrl}/_github/idtoken?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: world.github.requestToken,
    EMULATOR_ADMIN_URL: `${baseUrl}/_emulator`,
    // For the az CLI: the CA it trusts and the values of `az cloud register` (named after its flags).
    REQUESTS_CA_BUNDLE: tls.caPath,
    AZ_ENDPOINT_ACTIVE_DIRECTORY: `${baseUrl}/adfs`,
    AZ_ENDPOINT_ACTIVE_DIRECTORY_RESOURCE_ID: `${baseUrl}/`
  }

  let stopped = false
  return {
    url: baseUrl,
    caPath: tls.caPath,
    caPem: tls.caPem,
    env: envVars,
    admin,
    kube,
    stop: async () => {
      if (stopped) return
      stopped = true
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      tls.cleanup()
    }
  }
}
