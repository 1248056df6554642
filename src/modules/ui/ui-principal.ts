// Who the page is signed in as, when it cannot read the token itself: behind the OIDC proxy the
// proxy adds the Authorization header and the page never sees it. The desks differ by role (and
// a municipality's pages by its code), so the page asks once after the proxy let it in.
import type { FastifyPluginAsync } from 'fastify';
import { ROLES } from '../auth/auth-tokens.js';

const GM = { type: 'string', pattern: '^GM[0-9]{4}$', maxLength: 6 } as const;
const Principal = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { type: 'string', maxLength: 50 },
    municipality: GM,
    municipalities: { type: 'array', maxItems: 400, items: GM },
  },
} as const;

export const uiPrincipalRoutes: FastifyPluginAsync = async (app) => {
  app.get(
    '/ui/principal',
    // Not public (ui-plugin leaves routes with roles alone): the same bearer check as the API.
    { config: { roles: ROLES }, schema: { hide: true, response: { 200: Principal } } },
    async (req, reply) => {
      const p = req.principal;
      // The subject stays out: the page shows no technical ids, and it needs none.
      return reply.header('Cache-Control', 'no-store').send({
        role: p.role,
        ...(p.municipality ? { municipality: p.municipality } : {}),
        ...(p.municipalities ? { municipalities: [...p.municipalities] } : {}),
      });
    },
  );
};
