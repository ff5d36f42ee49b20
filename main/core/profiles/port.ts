/**
 * The ProfileService as the app facade's ProfilesPort (main/core/app/ports.ts): shapes Profile
 * into the contract's ProfileView. Secrets only go in (add/rotate); nothing returned carries one.
 */
import type { ProfileView } from '../../../preload/contract.ts';
import type { ProfilesPort } from '../app/ports.ts';
import type { Profile, ProfileService } from './service.ts';

export const toProfileView = (p: Profile): ProfileView => ({
  id: p.id,
  name: p.name,
  api_key: p.api_key,
  base_url: p.base_url,
  sandbox: p.kind === 'sandbox',
  created_at: p.created_at,
  updated_at: p.updated_at,
  last_connected_at: p.last_connected_at,
  has_secret: p.has_secret,
});

export function profilesPort(service: ProfileService): ProfilesPort {
  return {
    list: async () => service.list().map(toProfileView),
    add: async ({ sandbox, secret, ...rest }) =>
      toProfileView(await service.add(sandbox ? { ...rest, kind: 'sandbox' } : { ...rest, secret, kind: 'stream' })),
    test: (id) => service.test(id),
    rotate: async (id, secret) => toProfileView(await service.rotateSecret(id, secret)),
    remove: async (id) => {
      await service.remove(id);
    },
  };
}
