import 'uplot/dist/uPlot.min.css';
import '../styles.css';
import { cloudApi } from './api-cloud.js';
import { gatewayApi } from './api-gateway.js';
import { h, labelCells } from './dom.js';
import { ApiError, client } from './http.js';
import type { Api, Kind } from './model.js';
import { type LiveStream, liveStream } from './stream.js';
import { unitPicker } from './units.js';
import { alarmsView } from './views/alarms-page.js';
import { cookReportView, cooksView } from './views/cooks.js';
import { fleetView } from './views/fleet.js';
import { kitView } from './views/kit.js';
import { loginView } from './views/login.js';
import { cloudLoginView } from './views/login-cloud.js';
import { notificationsView } from './views/notifications.js';
import { auditView, eventsView, linksView } from './views/records.js';
import { rejectedView } from './views/rejected.js';
import { teamView } from './views/team.js';
import type { Ctx, View } from './views/view.js';

/**
 * The dashboard shell: which API (env.json from the server that served the page), login, hash
 * routes, and one poll loop for the page on screen (1.5 s on a kit, 2 s elsewhere; paused while
 * the tab is hidden; never two requests of the same page in flight). While the live stream
 * (stream.ts) is up, a page that applies its messages is not polled (a full refresh every 30 s
 * at most, and when a message needs one); when it breaks or falls silent (no heartbeat: stream.ts),
 * polling resumes and the header says so. Time-based fields ("silent 28 s", time left) are redrawn
 * every second. Logging out, or a credential the stream or a poll is refused with, ends the
 * session in the tab: the routes are unbound and the old API dropped, so Back shows nothing of it.
 */
const SAFETY_REFRESH_MS = 30_000;
const KEY = 'sv.key';

/** Who is logged in to the cloud (GET /v1/auth/session), with the CSRF token of the session. */
interface Who {
  user: { id: string; email: string; role: string };
  org: { id: string; name: string };
  csrfToken: string;
}

async function boot(): Promise<void> {
  const env = (await (await fetch('/dashboard/env.json')).json()) as { kind: Kind; name: string };
  const root = document.getElementById('app') as HTMLElement;
  const server = env.kind === 'cloud' ? 'The cloud' : 'The gateway';
  const apiFor = (key: string): Api =>
    env.kind === 'cloud' ? cloudApi(client(key, server), env.name) : gatewayApi(client(key, server), env.name);
  // The cloud: a session (cookie) and its CSRF token, kept in memory only.
  let csrf = '';
  const sessionCall = client({ csrf: () => csrf }, server);
  const cloudApiOfSession = () => cloudApi(sessionCall, env.name);
  const enter = (who: Who) => {
    csrf = who.csrfToken;
    shell(cloudApiOfSession(), who, {});
  };
  const cloudLogin = (message?: string) => {
    leave();
    csrf = '';
    const invite = /^#\/invite\/(svi_[A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
    const refused = (err: unknown) =>
      err instanceof ApiError && !err.outcomeUnknown && [400, 401, 404, 429].includes(err.status)
        ? `Not accepted: ${[err.message, ...err.details].join('; ')}`
        : (err as Error).message;
    root.replaceChildren(
      cloudLoginView(
        async (email, password) => {
          try {
            enter(await sessionCall<Who>('POST', '/v1/auth/login', { email, password }));
            return null;
          } catch (err) {
            return refused(err);
          }
        },
        invite === undefined
          ? undefined
          : async (password) => {
              try {
                await sessionCall('POST', '/v1/auth/invite', { token: invite, password });
              } catch (err) {
                return refused(err);
              }
              history.replaceState(null, '', location.pathname);
              cloudLogin('Password set: log in with your e-mail.');
              return null;
            },
      ),
    );
    if (message) root.querySelector('#login-error')?.append(message);
  };
  const logout = async () => {
    if (env.kind !== 'cloud') return login();
    await sessionCall('POST', '/v1/auth/logout').catch(() => {});
    cloudLogin();
  };

  const login = (message?: string) => {
    leave();
    sessionStorage.removeItem(KEY);
    root.replaceChildren(
      loginView(env.kind, env.name, async (key) => {
        try {
          await apiFor(key).kits();
        } catch (err) {
          return err instanceof ApiError && !err.outcomeUnknown && (err.status === 401 || err.status === 403)
            ? `Not accepted: ${err.message}`
            : (err as Error).message;
        }
        sessionStorage.setItem(KEY, key);
        shell(apiFor(key), undefined, { authorization: `Bearer ${key}` });
        return null;
      }),
    );
    if (message) root.querySelector('#login-error')?.append(message);
  };

  let timer: number | undefined;
  let view: View | undefined;
  let live: LiveStream | undefined;
  /** What the open stream follows: a kit's id, or '' for the fleet. */
  let following: string | undefined;
  let lastFull = 0;
  const closeLive = () => {
    live?.close();
    live = undefined;
    following = undefined;
  };
  const stopPolling = () => {
    clearTimeout(timer);
    view?.dispose?.();
    view = undefined;
  };
  /** Ends the shell of a session: no route, poll, stream or timer of it runs on (set by shell()). */
  let endShell: (() => void) | undefined;
  const leave = () => {
    endShell?.();
    endShell = undefined;
    stopPolling();
    closeLive();
  };
  /** The session's credential was refused (a poll's 401, the stream's 401/403): to the login form. */
  const refusedLogin = () =>
    env.kind === 'cloud' ? cloudLogin('Your session ended; log in again.') : login('Your key is no longer accepted; log in again.');

  const shell = (api: Api, who: Who | undefined, streamHeaders: Record<string, string>) => {
    leave();
    let ended = false;
    const ticker = window.setInterval(() => {
      if (!document.hidden) view?.tick?.(Date.now());
    }, 1000);
    endShell = () => {
      ended = true;
      window.onhashchange = null;
      clearInterval(ticker);
      clearTimeout(refreshSoon);
    };
    const alert = h('div', { class: 'alert', role: 'alert', 'aria-live': 'assertive' });
    const liveEl = h('p', { class: 'live', 'data-field': 'live', role: 'status' }, 'Connecting live updates…');
    const main = h('main', { id: 'main', tabindex: -1 });
    // Tables stack into labelled lines on a phone (styles.css): every row added is labelled.
    new MutationObserver(() => labelCells(main)).observe(main, { childList: true, subtree: true });
    const link = (href: string, label: string) => h('a', { href }, label);
    // The org's users, for an org admin's session (the API refuses anyone else: 403).
    const team = api.users && who?.user.role === 'admin' ? { users: api.users, me: who.user.id } : null;
    const nav = h(
      'nav',
      { 'aria-label': 'Main' },
      link('#/', 'Kits'),
      link('#/alarms', 'Alarms'),
      link('#/events', 'Alarms & events'),
      link('#/cooks', 'Cook records'),
      link('#/audit', 'Audit'),
      link('#/links', api.kind === 'cloud' ? 'Gateways' : 'Cloud link'),
      ...(api.rejected ? [link('#/rejected', 'Rejected messages')] : []),
      ...(api.notifications ? [link('#/notifications', 'Notifications')] : []),
      ...(team ? [link('#/team', 'Team')] : []),
      h('button', { type: 'button', class: 'link', onclick: () => void logout() }, 'Log out'),
    );
    const whoEl = who ? h('p', { class: 'who', 'data-field': 'who' }, `${who.user.email} (${who.user.role}) · ${who.org.name}`) : null;
    root.replaceChildren(
      h('a', { href: '#main', class: 'skip' }, 'Skip to content'),
      h(
        'header',
        {},
        h('p', { class: 'brand' }, api.kind === 'cloud' ? 'Sous-vide cloud' : `Sous-vide gateway ${api.name}`),
        whoEl,
        liveEl,
        nav,
        unitPicker(() => route()),
      ),
      alert,
      main,
    );
    // The alert region holds either a page's own error (a form the API refused) or a failed
    // refresh. A refresh that works clears only the latter: the API's answer to the user stays
    // until their next action, not until the next poll 2 s later.
    let refreshFailed = false;
    const ctx: Ctx = {
      api,
      readOnly:
        who?.user.role === 'viewer'
          ? 'Your role is viewer: you can watch cooks and alarms, but not change a cook or acknowledge an alarm (an operator or admin can).'
          : null,
      error(message) {
        refreshFailed = false;
        alert.textContent = message ?? '';
      },
    };
    const refreshed = (failure: string | null) => {
      if (failure !== null) {
        alert.textContent = failure;
        refreshFailed = true;
      } else if (refreshFailed) {
        alert.textContent = '';
        refreshFailed = false;
      }
    };
    const route = () => {
      if (ended) return;
      stopPolling();
      const path = location.hash.replace(/^#/, '') || '/';
      const kit = /^\/kit\/(.+)$/.exec(path);
      const cook = /^\/cook\/(.+)$/.exec(path);
      view = kit
        ? kitView(ctx, decodeURIComponent(kit[1] as string))
        : cook
          ? cookReportView(ctx, decodeURIComponent(cook[1] as string))
          : path === '/cooks'
            ? cooksView(ctx)
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
                      : path === '/team' && team
                        ? teamView(team.users, team.me)
                        : path === '/alarms'
                          ? alarmsView(ctx)
                          : fleetView(ctx);
      document.title = `${view.title} · sous-vide`;
      for (const a of nav.querySelectorAll('a')) {
        if (a.getAttribute('href') === `#${path}` || (a.getAttribute('href') === '#/' && kit)) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
      main.replaceChildren(view.el);
      main.focus({ preventScroll: true });
      follow(kit ? decodeURIComponent(kit[1] as string) : '');
      poll(view, kit ? 1500 : 2000);
    };
    // Live updates: messages go to the page on screen; one it cannot apply asks for a refresh.
    let refreshSoon: number | undefined;
    const refreshNow = () => {
      clearTimeout(refreshSoon);
      refreshSoon = window.setTimeout(() => {
        const v = view;
        if (!v || ended) return;
        lastFull = Date.now();
        v.refresh().then(
          () => refreshed(null),
          () => {},
        );
      }, 250);
    };
    closeLive();
    // The stream follows what the page shows: a kit's page its kit (?devices=), every other page the fleet.
    const follow = (kitId: string) => {
      if (ended || (live && following === kitId)) return;
      closeLive();
      following = kitId;
      live = liveStream({
        headers: streamHeaders,
        devices: kitId ? [kitId] : undefined,
        onMessage: (m) => {
          if (m.event === 'reset') return refreshNow();
          if (view?.live) {
            if (!view.live(m)) refreshNow();
            return;
          }
          // A page without live updates (events, alarms, cooks, …): a reading changes nothing on it,
          // so a busy fleet's readings do not make it refetch; a state change, event or alarm may.
          if (m.event !== 'reading') refreshNow();
        },
        onState: (s) => {
          liveEl.textContent =
            s === 'live'
              ? 'Live'
              : s === 'down'
                ? 'Disconnected: live updates paused, refreshing every few seconds'
                : 'Connecting live updates…';
          liveEl.className = `live is-${s}`;
          if (s === 'live') refreshNow(); // catch up on what changed while it was down
        },
        onRefused: () => {
          if (!ended) refusedLogin();
        },
      });
    };
    const poll = (v: View, everyMs: number) => {
      const run = async () => {
        if (v !== view || ended) return;
        const streamed = live?.state === 'live' && v.live !== undefined && Date.now() - lastFull < SAFETY_REFRESH_MS;
        if (!document.hidden && !streamed) {
          try {
            lastFull = Date.now();
            await v.refresh();
            refreshed(null);
          } catch (err) {
            if (v !== view || ended) return;
            if (err instanceof ApiError && err.status === 401 && !err.outcomeUnknown) return refusedLogin();
            refreshed(`Could not update: ${(err as Error).message}`);
          }
        }
        if (v === view && !ended) timer = window.setTimeout(run, v.everyMs?.() ?? everyMs);
      };
      void run();
    };
    window.onhashchange = route;
    route();
  };

  if (env.kind === 'cloud') {
    const who = location.hash.startsWith('#/invite/') ? null : await sessionCall<Who>('GET', '/v1/auth/session').catch(() => null);
    if (who) enter(who);
    else cloudLogin();
    return;
  }
  const key = sessionStorage.getItem(KEY);
  if (key) shell(apiFor(key), undefined, { authorization: `Bearer ${key}` });
  else login();
}

boot().catch((err: Error) => {
  document.body.textContent = `The dashboard could not start: ${err.message}`;
});
