// Microsoft.Authorization/permissions: the caller's effective permissions on a resource group,
// read from the emulator's RBAC model. The seeded principal holds every action ('*') except the
// denied ones, which Azure reports as notActions of the same grant (the shape of
// `GET {scope}/providers/Microsoft.Authorization/permissions?api-version=2022-04-01`).
import type { Route } from '../http.js'
import type { ArmEnv } from './common.js'

export function authorizationRoutes(env: ArmEnv): Route[] {
  const { world } = env
  return [
    {
      method: 'GET',
      pattern:
        '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.Authorization/permissions',
      operation: 'Permissions_ListForResourceGroup',
      kind: 'arm',
      action: 'Microsoft.Authorization/permissions/read',
      handle: (ctx) => {
        world.requireResourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName)
        return {
          status: 200,
          body: {
            value: [
              {
                actions: ['*'],
                notActions: [...world.deniedActions],
                dataActions: [],
                notDataActions: []
              }
            ]
          }
        }
      }
    }
  ]
}
