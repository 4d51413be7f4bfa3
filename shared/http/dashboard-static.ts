import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';

/**
 * Serves the dashboard bundle (dashboard/, built into dist/dashboard by `npm run build`) at
 * /dashboard/, for the cloud and for each gateway (so a cook can be watched and changed from the
 * kitchen with the internet down). The app learns from /dashboard/env.json which API it talks to
 * (`kind`). Static files only: every /v1 call the app makes is authenticated as usual (docs/design.md
 * invariant 4). Shared here because gateway and cloud never import each other.
 */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};
const HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // The app calls only its own origin; uPlot sets element styles from script.
  'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
};

/** dist/shared/http → dist/dashboard when compiled; shared/http → dist/dashboard from the sources (tsx). */
export function dashboardDir(): string | undefined {
  for (const rel of ['../../dashboard/', '../../dist/dashboard/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(join(dir, 'app.js'))) return dir; // app.js: the source folder dashboard/ has an index.html too
  }
  return undefined;
}

export interface DashboardEnv {
  kind: 'gateway' | 'cloud';
  name: () => string;
  /** Extra route options (the cloud keeps these routes outside its rate limit and OpenAPI). */
  routeOptions?: Record<string, unknown>;
}

export function dashboardRoutes(http: FastifyInstance, env: DashboardEnv): void {
  const opts = env.routeOptions ?? {};
  const send = (reply: FastifyReply, file: string) => {
    const dir = dashboardDir();
    const path = dir === undefined ? undefined : join(dir, file);
    if (path === undefined || !existsSync(path))
      return reply.code(404).send({ error: { code: 'SV_ERR_NOT_FOUND', message: 'dashboard not built (npm run build)', details: [] } });
    return reply
      .headers(HEADERS)
      .type(TYPES[extname(file)] ?? 'application/octet-stream')
      .send(readFileSync(path));
  };
  http.get('/', opts, async (_req, reply) => reply.redirect('/dashboard/'));
  http.get('/dashboard', opts, async (_req, reply) => reply.redirect('/dashboard/'));
  http.get('/dashboard/', opts, async (_req, reply) => send(reply, 'index.html'));
  http.get('/dashboard/env.json', opts, async (_req, reply) => reply.headers(HEADERS).send({ kind: env.kind, name: env.name() }));
  http.get('/dashboard/:file', opts, async (req, reply) => {
    const { file } = req.params as { file: string };
    // One flat folder: a name with a slash or a leading dot never reaches the file system.
    if (!/^[\w-][\w.-]*$/.test(file))
      return reply.code(404).send({ error: { code: 'SV_ERR_NOT_FOUND', message: 'no such file', details: [] } });
    return send(reply, file);
  });
}
