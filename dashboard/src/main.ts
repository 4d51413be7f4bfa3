import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { cloudApi } from './api-cloud.js';
import { gatewayApi } from './api-gateway.js';
import { h } from './dom.js';
import { ApiError, client } from './http.js';
import type { Api, Kind } from './model.js';
import { fleetView } from './views/fleet.js';
import { kitView } from './views/kit.js';
import { loginView } from './views/login.js';
import { notificationsView } from './views/notifications.js';
import { auditView, eventsView, linksView } from './views/records.js';
import { rejectedView } from './views/rejected.js';
import type { Ctx, View } from './views/view.js';

/**
 * The dashboard shell: which API (env.json from the server that served the page), login, hash
 * routes, and one poll loop for the page on screen (1.5 s on a kit, 2 s elsewhere; paused while
 * the tab is hidden; never two requests of the same page in flight).
 */
const KEY = 'sv.key';

async function boot(): Promise<void> {
  const env = (await (await fetch('/dashboard/env.json')).json()) as { kind: Kind; name: string };
  const root = document.getElementById('app') as HTMLElement;
  const apiFor = (key: string): Api => (env.kind === 'cloud' ? cloudApi(client(key), env.name) : gatewayApi(client(key), env.name));

  const login = (message?: string) => {
    stopPolling();
    sessionStorage.removeItem(KEY);
    root.replaceChildren(
      loginView(env.kind, env.name, async (key) => {
        try {
          await apiFor(key).kits();
        } catch (err) {
          return err instanceof ApiError && (err.status === 401 || err.status === 403)
            ? `Not accepted: ${err.message}`
            : (err as Error).message;
        }
        sessionStorage.setItem(KEY, key);
        shell(apiFor(key));
        return null;
      }),
    );
    if (message) root.querySelector('#login-error')?.append(message);
  };

  let timer: number | undefined;
  let view: View | undefined;
  const stopPolling = () => {
    clearTimeout(timer);
    view?.dispose?.();
    view = undefined;
  };

  const shell = (api: Api) => {
    const alert = h('div', { class: 'alert', role: 'alert', 'aria-live': 'assertive' });
    const main = h('main', { id: 'main', tabindex: -1 });
    const link = (href: string, label: string) => h('a', { href }, label);
    const nav = h(
      'nav',
      { 'aria-label': 'Main' },
      link('#/', 'Kits'),
      link('#/events', 'Alarms & events'),
      link('#/audit', 'Audit'),
      link('#/links', api.kind === 'cloud' ? 'Gateways' : 'Cloud link'),
      ...(api.rejected ? [link('#/rejected', 'Rejected messages')] : []),
      ...(api.notifications ? [link('#/notifications', 'Notifications')] : []),
      h('button', { type: 'button', class: 'link', onclick: () => login() }, 'Log out'),
    );
    root.replaceChildren(
      h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
      h('header', {}, h('p', { class: 'brand' }, api.kind === 'cloud' ? 'Sous-vide cloud' : `Sous-vide gateway ${api.name}`), nav),
      alert,
      main,
    );
    const ctx: Ctx = {
      api,
      error(message) {
        alert.textContent = message ?? '';
      },
    };
    const route = () => {
      stopPolling();
      const path = location.hash.replace(/^#/, '') || '/';
      const kit = /^\/kit\/(.+)$/.exec(path);
      view = kit
        ? kitView(ctx, decodeURIComponent(kit[1] as string))
        : path === '/events'
          ? eventsView(ctx)
          : path === '/audit'
            ? auditView(ctx)
            : path === '/links'
              ? linksView(ctx)
              : path === '/rejected' && api.rejected
                ? rejectedView(ctx, api.rejected)
                : path === '/notifications' && api.notifications
                  ? notificationsView(ctx, api.notifications)
                  : fleetView(ctx);
      document.title = `${view.title} · sous-vide`;
      for (const a of nav.querySelectorAll('a')) {
        if (a.getAttribute('href') === `#${path}` || (a.getAttribute('href') === '#/' && kit)) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
      main.replaceChildren(view.el);
      main.focus({ preventScroll: true });
      poll(view, kit ? 1500 : 2000);
    };
    const poll = (v: View, everyMs: number) => {
      const run = async () => {
        if (v !== view) return;
        if (!document.hidden) {
          try {
            await v.refresh();
            ctx.error(null);
          } catch (err) {
            if (err instanceof ApiError && err.status === 401) return login('Your key is no longer accepted; log in again.');
            ctx.error(`Could not update: ${(err as Error).message}`);
          }
        }
        if (v === view) timer = window.setTimeout(run, v.everyMs?.() ?? everyMs);
      };
      void run();
    };
    window.onhashchange = route;
    route();
  };

  const key = sessionStorage.getItem(KEY);
  if (key) shell(apiFor(key));
  else login();
}

boot().catch((err: Error) => {
  document.body.textContent = `The dashboard could not start: ${err.message}`;
});
