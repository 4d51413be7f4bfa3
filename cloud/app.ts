import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import session from '@fastify/session';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { configInvalid } from '../shared/config/load.js';
import { dashboardRoutes } from '../shared/http/dashboard-static.js';
import { type ApiDocs, docsRoutes, registerOpenApi } from '../shared/http/docs.js';
import { clientErrorHandler, frameworkErrors, unsupportedContentEncoding } from '../shared/http/errors.js';
import { installJsonBody } from '../shared/http/json-body.js';
import { requestTimeoutOptions } from '../shared/http/request-timeout.js';
import type { Logger } from '../shared/log.js';
import { registerStreamMetrics } from '../shared/stream/metrics.js';
import { newId } from './auth/tokens.js';
import { type CloudConfig, cloudConfigProblems } from './config.js';
import { Authenticator, neededBy } from './http/auth.js';
import { errorBody, installErrorHandlers } from './http/errors.js';
import { MemoryFailureWindow } from './http/failures.js';
import { RedisFailureWindow } from './http/failures-redis.js';
import { rateLimitRedis } from './http/rate-limit-redis.js';
import { secureCookies } from './http/secure-cookies.js';
import { MetaSessionStore } from './http/session-store.js';
import { IngestPipeline } from './ingest/pipeline.js';
import { CloudMetrics } from './metrics.js';
import { logConfigsAtRest } from './notify/at-rest-log.js';
import { CloudNotifier, type NotifierOptions } from './notify/notifier.js';
import { alarmRoutes } from './routes/alarms.js';
import { cookRoutes } from './routes/cooks.js';
import type { RouteDeps } from './routes/deps.js';
import { SECURITY } from './routes/deps.js';
import { deviceRoutes } from './routes/devices.js';
import { gatewayRoutes } from './routes/gateways.js';
import { healthRoutes } from './routes/health.js';
import { ingestRoutes } from './routes/ingest.js';
import { keyRoutes } from './routes/keys.js';
import { notificationRoutes } from './routes/notifications.js';
import { presetRoutes } from './routes/presets.js';
import { recordRoutes } from './routes/records.js';
import { sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import { closeStores, createStores, openStores } from './stores/index.js';
import { DEFAULT_ORG, type Stores } from './stores/types.js';
import { CloudStream } from './stream/stream-routes.js';

/** Builds the cloud service; nothing connects or listens until `start()` (docs/design.md: app.ts has no side effects). */
export interface Cloud {
  start(): Promise<{ port: number }>;
  stop(): Promise<void>;
  readonly http: FastifyInstance;
  readonly stores: Stores;
  readonly metrics: CloudMetrics;
  readonly notifier: CloudNotifier;
}

export interface CloudOptions {
  /** Clock (tests); default Date.now. */
  now?: () => number;
  /** The stores to use; default the ones the config names (`createStores`). */
  stores?: Stores;
  /** Notification worker timing and retry policy (tests). */
  notify?: NotifierOptions;
}

export function buildCloud(config: CloudConfig, log: Logger, options: CloudOptions = {}): Cloud {
  const problems = cloudConfigProblems(config);
  if (problems.length > 0) throw configInvalid('cloud', problems);
  const tls =
    config.tls.certFile && config.tls.keyFile ? { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) } : null;
  // A request not received in full within http.requestTimeoutMs ends with 408 (shared/http/request-timeout.ts).
  const timeouts = requestTimeoutOptions(config.http.requestTimeoutMs);
  const http = Fastify({
    loggerInstance: log.child({ part: 'http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.http.bodyLimitBytes,
    requestTimeout: timeouts.requestTimeout,
    clientErrorHandler, // what Node refuses before the router (timeouts, oversized headers) in the same shape
    frameworkErrors, // router errors (over-long path segment, bad URL) in the catalogue's shape too
    // req.ip is the forwarded client address only behind a configured proxy (never a header anyone can send).
    trustProxy: config.http.trustProxy.length > 0 ? config.http.trustProxy : false,
    ...(tls ? { https: { ...tls, ...timeouts.http } } : { http: timeouts.http }),
  }) as unknown as FastifyInstance;
  const stores = options.stores ?? createStores(config);
  if (config.mysql.url && config.ingest.maxInFlightPerOrg >= config.mysql.poolSize)
    log.warn(
      { 'ingest.maxInFlightPerOrg': config.ingest.maxInFlightPerOrg, 'mysql.poolSize': config.mysql.poolSize },
      "ingest.maxInFlightPerOrg is not below mysql.poolSize: one org's batches can hold every MySQL connection",
    );
  const metrics = new CloudMetrics();
  const now = options.now ?? Date.now;
  const limiterRedis = rateLimitRedis(config);
  const localFailures = new MemoryFailureWindow(
    config.auth.failureWindowMs,
    Math.max(config.auth.failuresPerAddress, config.auth.failuresPerAccount) + 2,
  );
  const auth = new Authenticator(stores.meta, config.auth.cacheTtlMs, {
    failures: limiterRedis
      ? new RedisFailureWindow(limiterRedis.client, config.redis.keyPrefix, config.auth.failureWindowMs, localFailures)
      : localFailures,
    perAddress: config.auth.failuresPerAddress,
    perAccount: config.auth.failuresPerAccount,
    windowMs: config.auth.failureWindowMs,
    now,
    onLockout: async ({ scope, key, orgId }) => {
      log.warn({ scope, key }, 'authentication lockout: too many failures');
      await stores.meta
        .addAudit({
          id: newId('aud'),
          orgId: orgId ?? DEFAULT_ORG,
          gatewayId: null,
          ts: now(),
          actor: { type: 'system' },
          deviceId: null,
          action: 'auth.lockout',
          reason: `too many failed authentications for this ${scope}`,
          data: { scope, [scope]: key, windowMs: config.auth.failureWindowMs },
        })
        .catch((err: Error) => log.error({ err: err.message }, 'could not audit a lockout'));
    },
  });
  const pipeline = new IngestPipeline(
    stores,
    metrics,
    {
      sinkTimeoutMs: config.ingest.sinkTimeoutMs,
      ownershipCacheMs: config.auth.cacheTtlMs,
      lastSeenEveryMs: config.ingest.lastSeenEveryS * 1000,
    },
    log.child({ part: 'ingest' }),
  );
  const notifier = new CloudNotifier(stores.meta, config, log.child({ part: 'notify' }), metrics.registry, now, options.notify);
  const deps: RouteDeps = { config, stores, auth, pipeline, metrics, log, now, notifier };
  // Live updates (GET /v1/stream, ADR 034): published after each committed batch.
  const stream = new CloudStream(deps);
  registerStreamMetrics(metrics.registry, stream.hub);
  pipeline.committed = stream.committed;
  deps.alarmChanged = stream.alarmChanged;

  http.decorateRequest('principal', null);
  // Every answer, errors and static files included: a browser never sniffs a JSON body into HTML.
  http.addHook('onRequest', async (_req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
  });
  // zod validates inside the handlers (errors name the field); route schemas feed the OpenAPI document only.
  http.setValidatorCompiler(() => (value) => ({ value }));
  installErrorHandlers(http, { retryAfterS: config.ingest.retryAfterS });
  installJsonBody(http);
  // The OpenAPI document states what each route needs, read from the route's own auth hook (never written twice).
  http.addHook('onRoute', (route) => {
    if (!route.schema || (route.schema as { hide?: boolean }).hide) return;
    const role = neededBy(route.onRequest);
    const schema = route.schema as Record<string, unknown>;
    route.schema = {
      ...schema,
      // Every route names its auth; a public one (health, login) an empty list.
      security: (schema.security as typeof SECURITY | undefined) ?? (role === 'none' ? [] : SECURITY),
      'x-role': role,
      description: `Needs: ${role}.${schema.description ? ` ${schema.description}` : ''}`,
    } as unknown as typeof route.schema;
  });
  http.addHook('preParsing', async (req, _reply, payload) => {
    const encoding = req.headers['content-encoding']?.trim().toLowerCase();
    if (encoding === undefined || encoding === '' || encoding === 'identity') return payload;
    if (encoding !== 'gzip') throw unsupportedContentEncoding(encoding, ['gzip', 'identity']);
    // The body limit applies to the decoded size (a gzip bomb stops at the limit).
    const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength?: number };
    let encoded = 0;
    payload.on('data', (chunk: Buffer) => {
      encoded += chunk.length;
      gunzip.receivedEncodedLength = encoded;
    });
    payload.pipe(gunzip);
    return gunzip;
  });
  // Dashboard sessions (docs/adr/028-user-sessions.md): server-side, in the meta store; the cookie holds only the signed id.
  // One secret signs the session cookie and the device cookies of logins (cloud/auth/device-cookie.ts).
  const cookieSecret = config.auth.sessionSecret ?? randomBytes(32).toString('base64url');
  http.register(cookie, { secret: cookieSecret });
  http.register(session, {
    secret: cookieSecret,
    cookieName: 'sv_session',
    // Secure when served over TLS (or, behind a trusted proxy, when it says the client used HTTPS).
    cookie: {
      httpOnly: true,
      secure: secureCookies(config),
      sameSite: 'strict',
      path: '/',
      maxAge: config.auth.sessionTtlMs,
    },
    saveUninitialized: false,
    store: new MetaSessionStore(stores.meta.users, now, config.auth.sessionTtlMs),
  });
  http.register(csrf, { sessionPlugin: '@fastify/session' });
  const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
  auth.csrf = (req, reply, done) => {
    if (req.principal?.kind !== 'user' || SAFE.has(req.method)) return done();
    http.csrfProtection(req, reply, done);
  };
  const apiDocs: ApiDocs = {
    title: 'Sous-vide cloud API',
    description: 'Ingest (gateways), query and control (API keys, dashboard sessions).',
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', description: 'An API key (people, scripts) or a gateway token (ingest)' },
      session: {
        type: 'apiKey',
        in: 'cookie',
        name: 'sv_session',
        description: 'Dashboard session; state-changing calls also need x-csrf-token',
      },
    },
    authText: 'Authenticate with Authorization: Bearer <key>.',
    routeOptions: { config: { rateLimit: false } },
  };
  registerOpenApi(http, apiDocs);
  http.register(rateLimit, {
    global: true,
    ...(limiterRedis ? { redis: limiterRedis.client, nameSpace: `${config.redis.keyPrefix}rl:`, skipOnError: true } : {}),
    hook: 'preHandler', // after the onRequest auth hooks: the key is the gateway or the API key, not the address
    max: (req) =>
      req.principal?.kind === 'gateway'
        ? config.rateLimit.gatewayPerMin
        : req.principal?.kind === 'key'
          ? config.rateLimit.keyPerMin
          : config.rateLimit.anonPerMin,
    timeWindow: 60_000,
    // Each bucket belongs to one org (a gateway or key of one org never spends another's).
    keyGenerator: (req) => {
      if (req.principal) return `${req.principal.orgId}:${req.principal.kind}:${req.principal.id}`;
      // A login's bucket is its address and account: guesses at other accounts never use up a user's own logins.
      const email = (req.body as { email?: unknown } | null)?.email;
      return typeof email === 'string' ? `login:${req.ip}:${email.trim().toLowerCase().slice(0, 254)}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      ...errorBody('SV_ERR_RATE_LIMITED', `rate limit exceeded; retry in ${Math.ceil(ctx.ttl / 1000)} s`, [`limit: ${ctx.max} per minute`]),
    }),
  });
  http.register(async (app) => {
    await healthRoutes(app, deps);
    await docsRoutes(app, apiDocs);
    await ingestRoutes(app, deps);
    await gatewayRoutes(app, deps);
    await deviceRoutes(app, deps);
    await recordRoutes(app, deps);
    await alarmRoutes(app, deps);
    await cookRoutes(app, deps);
    await keyRoutes(app, deps);
    await presetRoutes(app, deps);
    await sessionRoutes(app, deps);
    await userRoutes(app, deps);
    await notificationRoutes(app, deps);
    stream.routes(app, deps);
    // Static files outside the rate limit: they carry no data; every /v1 call is limited as usual.
    dashboardRoutes(app, { kind: 'cloud', name: () => 'cloud', routeOptions: { config: { rateLimit: false }, schema: { hide: true } } });
  });

  let started = false;
  return {
    http,
    stores,
    metrics,
    notifier,
    async start() {
      await openStores(stores);
      started = true;
      // ADR 076, 077: with notify.secretsKey set, channel configs still plain, or opening only with a
      // previous key, are sealed with it once; without it, a warning. Counts only in the log.
      const atRest = await stores.meta.notify.sealAtRest();
      logConfigsAtRest(log, atRest, {
        keySet: config.notify.secretsKey !== undefined,
        previousKeys: config.notify.previousSecretsKeys.length,
      });
      notifier.start();
      await stream.start();
      await limiterRedis?.client
        .connect()
        .catch((err: Error) => log.warn({ err: err.message }, 'rate limiter: Redis unreachable, limits skipped'));
      await http.listen({ port: config.port, host: config.host });
      const address = http.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      if (!tls) log.warn('cloud serves plain HTTP: terminate TLS in front of it or set tls.certFile/tls.keyFile');
      log.info({ port, telemetry: stores.telemetry.backend, state: stores.state.backend, meta: stores.meta.backend }, 'cloud started');
      return { port };
    },
    async stop() {
      await http.close();
      await notifier.stop();
      stream.stop();
      limiterRedis?.close();
      if (started) await closeStores(stores);
      log.info('cloud stopped');
    },
  };
}
