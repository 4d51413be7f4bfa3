import type { FastifyInstance } from 'fastify';

/** Every route of a Fastify instance, read from `printRoutes()` (so a new route is covered without editing the tests). */
export interface Route {
  method: string;
  /** Fastify form, e.g. `/v1/devices/:id/cook`. */
  path: string;
  params: string[];
}

/**
 * Parses the tree `printRoutes({ commonPrefix: false })` prints: one node per line, four columns
 * of indent per level, the node's path segment, then its methods in parentheses. A node's full
 * path is its parent's full path followed by its segment.
 */
export function parseRouteTree(tree: string): Route[] {
  const out: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([\s│]*)(?:[└├]── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] as string).length / 4;
    const full = (depth === 0 ? '' : (stack[depth - 1] ?? '')) + (m[2] as string);
    stack[depth] = full;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(', ').filter((x) => x !== '' && x !== 'HEAD' && x !== 'OPTIONS')) {
      out.push({ method, path: full, params: [...full.matchAll(/:(\w+)/g)].map((p) => p[1] as string) });
    }
  }
  return out;
}

export function routesOf(app: FastifyInstance): Route[] {
  return parseRouteTree(app.printRoutes({ commonPrefix: false }));
}

export const key = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}`;

/** The path with each `:param` replaced by `values[param]` (URI-encoded). */
export function fill(path: string, values: Record<string, string>): string {
  return path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(values[name] ?? `x-${name}`));
}
