// Extension points for later parts of the console (approvals inbox, AI
// workspace, golden-signal trends). A module registers itself here and is
// imported once from app.js; nothing else has to change.
//
// Pages: registerPage({id, title, order, minRole, create}) where create(ctx)
// returns {el, route(route), destroy()}; it appears in the top navigation at
// #/<id>. Optional navBadge({who, onLive}) -> Element is shown inside the
// navigation link (the Approvals page's live count).
//
// Incident drawer tabs: registerIncidentTab({id, title, order, minRole,
// render(incident, ctx) -> Element}) where ctx = {who, refresh(), api}.
// render may return a placeholder and fill it asynchronously.

export const pages = [];
export const incidentTabs = [];

const byOrder = (a, b) => (a.order ?? 100) - (b.order ?? 100);

export function registerPage(page) {
  pages.push(page);
  pages.sort(byOrder);
}

export function registerIncidentTab(tab) {
  incidentTabs.push(tab);
  incidentTabs.sort(byOrder);
}

const RANK = { ingest: 0, viewer: 1, operator: 2, admin: 3 };
// can(who, 'operator'): the role is at least operator. The server enforces
// roles anyway; this only decides which controls are shown.
export function can(who, minRole) {
  return !!who && (RANK[who.role] ?? -1) >= (RANK[minRole] ?? 99);
}
