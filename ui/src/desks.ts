// One desk per role: which pages it has, in which order in the main menu, and where it starts.
// The API decides what each role may read or do; this only keeps a page that cannot work for a
// role out of its menu (and says so when it is opened by its address).
import type { Role } from './session';

export interface NavItem {
  path: string;
  text: string;
  /** Routes with this section mark this menu item as current. */
  section: string;
}

interface Desk {
  /** The line under the service name in the header. */
  title: string;
  home: string;
  nav: NavItem[];
}

const coordinator: Desk = {
  title: 'Landelijk coördinatiepunt',
  home: '/voorstellen',
  nav: [
    { path: '/werklijst', text: 'Werklijst', section: 'werklijst' },
    { path: '/voorstellen', text: 'Voorstellen', section: 'voorstellen' },
    { path: '/registraties', text: 'Registraties', section: 'registraties' },
    { path: '/verdeling', text: 'Verdeling', section: 'verdeling' },
    { path: '/simulatie', text: 'Simulatie', section: 'simulatie' },
    { path: '/cijfers', text: 'Cijfers', section: 'cijfers' },
  ],
};

const municipality: Desk = {
  title: 'Gemeente',
  home: '/registraties',
  nav: [
    { path: '/registraties', text: 'Onze gezinnen', section: 'registraties' },
    { path: '/registraties/nieuw', text: 'Gezin melden', section: 'melden' },
    { path: '/verdeling', text: 'Ons saldo', section: 'verdeling' },
    { path: '/cijfers', text: 'Cijfers', section: 'cijfers' },
  ],
};

const housingCorporation: Desk = {
  title: 'Woningcorporatie',
  home: '/gezinnen',
  nav: [
    { path: '/gezinnen', text: 'Gezinnen', section: 'gezinnen' },
    { path: '/aanbiedingen', text: 'Aanbiedingen', section: 'aanbiedingen' },
    { path: '/capaciteit', text: 'Capaciteit', section: 'capaciteit' },
  ],
};

const policyViewer: Desk = {
  title: 'Beleid en statistiek',
  home: '/verdeling',
  nav: [
    { path: '/verdeling', text: 'Verdeling', section: 'verdeling' },
    { path: '/simulatie', text: 'Simulatie', section: 'simulatie' },
    { path: '/cijfers', text: 'Cijfers', section: 'cijfers' },
  ],
};

/** Admin tokens manage the service through the API; there is no desk for them. */
const DESKS: Partial<Record<Role, Desk>> = { coordinator, municipality, housing_corporation: housingCorporation, policy_viewer: policyViewer };

export function deskOf(role: Role): Desk | undefined {
  return DESKS[role];
}

export const hasDesk = (role: Role) => DESKS[role] !== undefined;

export const roleName = (role: Role): string =>
  ({ coordinator: 'coördinator', municipality: 'gemeente', housing_corporation: 'woningcorporatie', policy_viewer: 'beleidsmedewerker', admin: 'beheerder' })[role];
