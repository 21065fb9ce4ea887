// Azure's effective-permission rule, as the preflight applies it, and the rows of the one
// permission table a run needs.

import { describe, expect, it } from '@jest/globals'
import { deployedWorld, emptyWorld, settingsFor } from '../../__fixtures__/plan-world.js'
import { planDeploy } from '../../src/plan/deploy.js'
import { planTeardown } from '../../src/plan/teardown.js'
import { isAllowed, requiredPermissions } from '../../src/preflight.js'

describe('isAllowed', () => {
  const write = 'Microsoft.KubernetesConfiguration/extensions/write'

  it('matches wildcards case-insensitively, and notActions of the same grant exclude', () => {
    expect(isAllowed(write, [{ actions: ['*'] }])).toBe(true)
    expect(isAllowed(write, [{ actions: ['microsoft.kubernetesconfiguration/*'] }])).toBe(true)
    expect(isAllowed(write, [{ actions: ['Microsoft.KubernetesConfiguration/*/read'] }])).toBe(
      false
    )
    expect(isAllowed(write, [{ actions: ['*'], notActions: ['*/extensions/write'] }])).toBe(false)
  })

  it('allows what another grant gives even when one grant excludes it (roles add up)', () => {
    expect(isAllowed(write, [{ actions: ['*'], notActions: [write] }, { actions: [write] }])).toBe(
      true
    )
    expect(isAllowed(write, [])).toBe(false)
  })

  it('does not let a dot in an action act as a wildcard', () => {
    expect(
      isAllowed('MicrosoftXContainerRegistry/registries/read', [
        { actions: ['Microsoft.ContainerRegistry/*'] }
      ])
    ).toBe(false)
  })
})

describe('requiredPermissions', () => {
  const actions = (list: { action: string }[]) => list.map((p) => p.action)

  it('asks a top-level deploy for neither the nested row nor deactivate', () => {
    const settings = settingsFor()
    const needed = actions(
      requiredPermissions(
        settings,
        planDeploy(settings, emptyWorld(), { rotate: false }),
        emptyWorld()
      )
    )
    expect(needed).toContain('Microsoft.KubernetesConfiguration/extensions/write')
    expect(needed).not.toContain(
      'Microsoft.ContainerRegistry/registries/connectedRegistries/deactivate/action'
    )
  })

  it('asks a teardown for deactivate and the deletes, not for extensions/write', () => {
    const settings = settingsFor({ operation: 'teardown' })
    const world = deployedWorld(settings)
    const needed = actions(requiredPermissions(settings, planTeardown(settings, world), world))
    expect(needed).toEqual(
      expect.arrayContaining([
        'Microsoft.ContainerRegistry/registries/connectedRegistries/deactivate/action',
        'Microsoft.KubernetesConfiguration/extensions/delete'
      ])
    )
    expect(needed).not.toContain('Microsoft.KubernetesConfiguration/extensions/write')
    // Scope-map writes of a teardown are for nested registries only.
    expect(needed).not.toContain('Microsoft.ContainerRegistry/registries/scopeMaps/write')
  })
})
