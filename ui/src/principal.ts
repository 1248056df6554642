// Who the OIDC proxy signed in: the page never sees the proxy's token, so it asks the service.
import { apiRequest } from './api';
import { whoFrom, type Who } from './session';

export async function fetchPrincipal(): Promise<Who | null> {
  // Not under /api/v1: the UI module answers it, with the API's own token check.
  const res = await apiRequest('/ui/principal', { token: null, base: '' });
  return whoFrom(await res.json());
}
