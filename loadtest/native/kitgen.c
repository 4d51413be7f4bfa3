/*
 * kitgen: the native kit generator (docs/adr/021-native-load-generator.md).
 *
 * One single-threaded process (epoll, non-blocking sockets, OpenSSL) that simulates N kits
 * exactly as one partition of loadtest/partition.ts does, at a fraction of its CPU per message,
 * so that on a shared 2-core machine the broker under test, not the generator, sets the limit:
 *   1. connect the kits with bounded parallelism (TLS verified against the CA, servername
 *      "localhost"; plain TCP without a CA), MQTT 3.1.1 CONNECT, wait for CONNACK;
 *   2. publish telemetry open loop at a fixed rate per kit with a random phase per kit (closed
 *      loop: hold while maxinflight messages are unacknowledged), QoS 0 or 1;
 *   3. wait up to 5 s for the last PUBACKs; what is still unacknowledged counts as failed.
 * Kits flagged as command kits subscribe to sv/<id>/cmd and time each command's first delivery
 * from their last publish (telemetry -> command).
 *
 * Where the CPU goes, and what keeps it low: each kit's TLS runs on memory BIOs, so the socket
 * I/O is ours: one send() per message, one recvmsg() per readable socket (a short read means
 * drained). While publishing, the loop wakes once per tick (default 2 ms) instead of once per
 * PUBACK; latencies use the kernel's receive timestamp (SO_TIMESTAMPNS), so the tick and this
 * process's own scheduling delays do not show up as broker latency.
 *
 * Usage: kitgen <spec-file>. Spec (text, one "key value" per line, '#' comments):
 *   index N, host H, port P, ca FILE (absent or "-": plain TCP), rate MSG_PER_S, duration S,
 *   parallelism N, qos 0|1, boot N, maxinflight N (0 = open loop), hotafter MS (optional,
 *   default 10000), tick MS (optional, default 2; 0 = wake on every event), kits N, then N lines
 *   "kit <id> <secret|-> <0|1 command kit>".
 * Output (stdout): one JSON line {"type":"progress",...} per second and a last line
 * {"type":"final",...}, the shape of PartitionMessage in loadtest/partition.ts. Latency
 * histograms use the bucket layout of loadtest/histogram.ts so that Node can merge them.
 * Exit codes: 0 done (failures are counted, not fatal), 2 bad spec or usage, 1 internal error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

/* Mirrors loadtest/histogram.ts: 3 % wide log buckets from 0.05 ms, 600 of them. */
#define HIST_BUCKETS 600
#define HIST_BASE_MS 0.05
#define HIST_RATIO 1.03
/* Mirrors loadtest/lean-client.ts and partition.ts. */
#define CONNECT_TIMEOUT_MS 30000.0
#define KEEPALIVE_S 30
#define GRACE_MS 5000.0
#define PUBLISH_TAIL_MS 200.0
#define MAX_PACKET (1u << 20)

typedef struct {
  uint64_t counts[HIST_BUCKETS];
  double max;
} hist_t;

enum kit_state { K_IDLE, K_TCP, K_TLS, K_MQTT, K_UP, K_DOWN };

typedef struct {
  uint16_t id;
  uint8_t sub; /* a SUBSCRIBE waiting for its SUBACK (counted in flight, as in lean-client.ts) */
  double t0; /* rt_ms() at publish */
} pend_t;

typedef struct {
  char *id;
  char *secret; /* NULL: no username/password */
  int cmd;
  enum kit_state st;
  int fd;
  SSL *ssl;
  BIO *wbio; /* TLS records to send (a memory BIO; the socket I/O is ours) */
  int k; /* index among connected kits, in connect order (partition.ts's `k`) */
  double t_conn0, next_ping, phase; /* now_ms() */
  double last_pub;                  /* rt_ms() */
  unsigned char *out;
  size_t out_off, out_len, out_cap;
  unsigned char *in;
  size_t in_len, in_cap;
  pend_t *pend;
  int npend, pend_cap;
  uint16_t next_mid;
  uint64_t seq;
} kit_t;

static struct {
  int index;
  char *host;
  int port;
  char *ca;
  double rate, duration;
  int parallelism, qos, maxinflight;
  long long boot;
  double hotafter, tick;
  int nkits;
  kit_t *kits;
} spec;

static struct {
  uint64_t connected, connectFailed, published, acked, failed, commands, held;
} ctr;

static hist_t h_puback, h_connect, h_command;
static struct {
  char key[64];
  uint64_t n;
} errs[64];
static int nerrs;

static SSL_CTX *ctx;
static int epfd;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static int active; /* connections between socket() and CONNACK or failure */
static uint64_t inflight_total;
static double started_at = -1;
static kit_t **clients; /* connected kits, in connect order */
static int nclients;

/* ---------- small helpers ---------- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Latency clock: CLOCK_REALTIME (the clock of the kernel's receive timestamps) from the start, ms. */
static struct timespec rt_base;
static double rt_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)(ts.tv_sec - rt_base.tv_sec) * 1e3 + (double)(ts.tv_nsec - rt_base.tv_nsec) / 1e6;
}

static long long epoch_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double cpu_ms(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static void die(int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("kitgen: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(code);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (!q) die(1, "out of memory");
  return q;
}

static uint64_t rng_state;
static double rand01(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void hist_record(hist_t *h, double ms) {
  int i = 0;
  if (ms > HIST_BASE_MS) {
    double x = ceil(log(ms / HIST_BASE_MS) / log(HIST_RATIO));
    i = x > HIST_BUCKETS - 1 ? HIST_BUCKETS - 1 : (int)x;
  }
  h->counts[i]++;
  if (ms > h->max) h->max = ms;
}

static void add_error(const char *key, uint64_t n) {
  static const char *more = "other:(more kinds)";
  int cap = (int)(sizeof errs / sizeof errs[0]);
  for (int i = 0; i < nerrs; i++)
    if (strcmp(errs[i].key, key) == 0) {
      errs[i].n += n;
      return;
    }
  if (nerrs == cap - 1 && strcmp(key, more) != 0) { /* the last slot counts every further kind */
    add_error(more, n);
    return;
  }
  snprintf(errs[nerrs].key, sizeof errs[nerrs].key, "%s", key);
  errs[nerrs++].n = n;
}

/* classify() of partition.ts, on the same messages the lean client's errors carry. */
static void count_error(const char *msg) {
  char key[64];
  if (strstr(msg, "EMFILE") || strstr(msg, "ENFILE"))
    add_error("client:EMFILE", 1);
  else if (strstr(msg, "connect timeout"))
    add_error("client:connect_timeout", 1);
  else if (strstr(msg, "CONNACK refused"))
    add_error("gateway:connack_refused", 1);
  else if (strstr(msg, "ECONNREFUSED"))
    add_error("gateway:refused", 1);
  else if (strstr(msg, "ECONNRESET") || strstr(msg, "closed") || strstr(msg, "lost"))
    add_error("gateway:reset", 1);
  else {
    snprintf(key, sizeof key, "other:%.40s", msg);
    add_error(key, 1);
  }
}

static const char *errno_name(int e) {
  switch (e) {
  case ECONNREFUSED: return "ECONNREFUSED";
  case ECONNRESET: return "ECONNRESET";
  case EPIPE: return "EPIPE";
  case ETIMEDOUT: return "ETIMEDOUT";
  case EMFILE: return "EMFILE";
  case ENFILE: return "ENFILE";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  case EHOSTUNREACH: return "EHOSTUNREACH";
  case ENETUNREACH: return "ENETUNREACH";
  case ENOBUFS: return "ENOBUFS";
  case ENOMEM: return "ENOMEM";
  default: return strerror(e);
  }
}

/* ---------- the set of command ids already seen (first delivery only) ---------- */

static char **seen;
static size_t seen_cap, seen_n;

static uint64_t fnv(const char *s, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* Adds the id; returns 1 if it was new. */
static int seen_add(const char *id, size_t n) {
  if ((seen_n + 1) * 2 > seen_cap) {
    size_t cap = seen_cap ? seen_cap * 2 : 256;
    char **t = calloc(cap, sizeof *t);
    if (!t) die(1, "out of memory");
    for (size_t i = 0; i < seen_cap; i++)
      if (seen[i]) {
        size_t j = fnv(seen[i], strlen(seen[i])) & (cap - 1);
        while (t[j]) j = (j + 1) & (cap - 1);
        t[j] = seen[i];
      }
    free(seen);
    seen = t;
    seen_cap = cap;
  }
  size_t j = fnv(id, n) & (seen_cap - 1);
  while (seen[j]) {
    if (strlen(seen[j]) == n && memcmp(seen[j], id, n) == 0) return 0;
    j = (j + 1) & (seen_cap - 1);
  }
  seen[j] = strndup(id, n);
  if (!seen[j]) die(1, "out of memory");
  seen_n++;
  return 1;
}

/* ---------- spec ---------- */

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  char *e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n')) *--e = 0;
  return s;
}

static double num_field(const char *field, const char *v, int line, double min, double max, int integer) {
  char *end;
  errno = 0;
  double x = strtod(v, &end);
  if (!*v || *end || errno || !isfinite(x) || x < min || x > max || (integer && x != floor(x)))
    die(2, "spec line %d: \"%s\" must be %s from %g to %g (got \"%s\")", line, field, integer ? "an integer" : "a number", min,
        max, v);
  return x;
}

/* A kit id goes into topics: no wildcards, separators or quotes. A secret: any printable run. */
static int valid_token(const char *s, int id) {
  if (!*s || strlen(s) > (id ? 64 : 256)) return 0;
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p <= ' ' || *p == 0x7f || (id && strchr("+#/\"\\", *p))) return 0;
  return 1;
}

static void parse_spec(const char *file) {
  FILE *f = fopen(file, "r");
  if (!f) die(2, "cannot read spec %s: %s", file, strerror(errno));
  char *buf = NULL;
  size_t cap = 0;
  int line = 0, nk = 0, have_kits = 0;
  int have[16] = {0};
  static const char *keys[] = {"index", "host", "port", "ca", "rate", "duration", "parallelism", "qos", "boot", "maxinflight", "hotafter", "tick"};
  enum { NKEYS = sizeof keys / sizeof keys[0] };
  spec.hotafter = 10000;
  spec.tick = 2;
  while (getline(&buf, &cap, f) >= 0) {
    line++;
    char *s = trim(buf);
    if (!*s || *s == '#') continue;
    char *sp = s + strcspn(s, " \t");
    char *v = *sp ? trim(sp + 1) : sp;
    *sp = 0;
    if (strcmp(s, "kit") == 0) {
      if (!have_kits) die(2, "spec line %d: \"kit\" before \"kits\"", line);
      if (nk >= spec.nkits) die(2, "spec line %d: \"kits\" says %d but there are more kit lines", line, spec.nkits);
      char *id = strtok(v, " \t"), *secret = strtok(NULL, " \t"), *cmd = strtok(NULL, " \t");
      if (!id || !valid_token(id, 1)) die(2, "spec line %d: kit \"id\" missing or invalid", line);
      if (!secret || !valid_token(secret, 0)) die(2, "spec line %d: kit \"secret\" missing or invalid (\"-\" for none)", line);
      if (!cmd || (strcmp(cmd, "0") && strcmp(cmd, "1"))) die(2, "spec line %d: kit \"command\" must be 0 or 1", line);
      if (strtok(NULL, " \t")) die(2, "spec line %d: kit: extra fields after \"command\"", line);
      kit_t *k = &spec.kits[nk++];
      k->id = strdup(id);
      k->secret = strcmp(secret, "-") ? strdup(secret) : NULL;
      k->cmd = cmd[0] == '1';
      continue;
    }
    if (strcmp(s, "kits") == 0) {
      if (have_kits) die(2, "spec line %d: \"kits\" given twice", line);
      spec.nkits = (int)num_field("kits", v, line, 0, 1000000, 1);
      spec.kits = calloc(spec.nkits ? spec.nkits : 1, sizeof(kit_t));
      if (!spec.kits) die(1, "out of memory");
      have_kits = 1;
      continue;
    }
    int ki = -1;
    for (int i = 0; i < NKEYS; i++)
      if (strcmp(s, keys[i]) == 0) ki = i;
    if (ki < 0) die(2, "spec line %d: unknown field \"%s\"", line, s);
    if (have[ki]) die(2, "spec line %d: \"%s\" given twice", line, s);
    have[ki] = 1;
    switch (ki) {
    case 0: spec.index = (int)num_field("index", v, line, 0, 1e6, 1); break;
    case 1:
      if (!*v) die(2, "spec line %d: \"host\" is empty", line);
      spec.host = strdup(v);
      break;
    case 2: spec.port = (int)num_field("port", v, line, 1, 65535, 1); break;
    case 3:
      if (!*v) die(2, "spec line %d: \"ca\" is empty (\"-\" for plain TCP)", line);
      spec.ca = strcmp(v, "-") ? strdup(v) : NULL;
      break;
    case 4: spec.rate = num_field("rate", v, line, 0.001, 1000, 0); break;
    case 5: spec.duration = num_field("duration", v, line, 0.001, 7 * 86400, 0); break;
    case 6: spec.parallelism = (int)num_field("parallelism", v, line, 1, 100000, 1); break;
    case 7: spec.qos = (int)num_field("qos", v, line, 0, 1, 1); break;
    case 8: spec.boot = (long long)num_field("boot", v, line, 0, 9007199254740991.0, 1); break;
    case 9: spec.maxinflight = (int)num_field("maxinflight", v, line, 0, 65535, 1); break;
    case 10: spec.hotafter = num_field("hotafter", v, line, 0, 1e9, 0); break;
    case 11: spec.tick = num_field("tick", v, line, 0, 1000, 0); break;
    }
  }
  free(buf);
  fclose(f);
  for (int i = 0; i < NKEYS; i++)
    if (!have[i] && i != 3 && i < 10) die(2, "spec: missing field \"%s\"", keys[i]);
  if (!have_kits) die(2, "spec: missing field \"kits\"");
  if (nk != spec.nkits) die(2, "spec: \"kits\" says %d but there are %d kit lines", spec.nkits, nk);
}

/* ---------- connections ---------- */

static void kit_close(kit_t *k) {
  if (k->ssl) SSL_free(k->ssl); /* frees its memory BIOs too */
  k->ssl = NULL;
  k->wbio = NULL;
  if (k->fd >= 0) close(k->fd); /* also leaves the epoll set */
  k->fd = -1;
  free(k->out);
  free(k->in);
  k->out = k->in = NULL;
  k->out_off = k->out_len = k->out_cap = k->in_len = k->in_cap = 0;
}

static void connect_failed(kit_t *k, const char *msg) {
  kit_close(k);
  k->st = K_DOWN;
  active--;
  ctr.connectFailed++;
  count_error(msg);
}

/* A connected kit lost its connection: what it had in flight fails (lean-client.ts onClose). */
static void connection_lost(kit_t *k, const char *why) {
  char msg[128];
  snprintf(msg, sizeof msg, "connection lost: %s", why);
  for (int i = 0; i < k->npend; i++) {
    if (!k->pend[i].sub) ctr.failed++;
    count_error(msg);
  }
  inflight_total -= (uint64_t)k->npend;
  k->npend = 0;
  kit_close(k);
  k->st = K_DOWN;
}

/* Any failure: before CONNACK it is a failed connect, after it a lost connection. */
static void kit_fail(kit_t *k, const char *msg) {
  if (k->st == K_UP)
    connection_lost(k, msg);
  else if (k->st != K_DOWN)
    connect_failed(k, msg);
}

static const char *tls_error(kit_t *k) {
  static char msg[160];
  long v = k->ssl ? SSL_get_verify_result(k->ssl) : X509_V_OK;
  unsigned long q = ERR_get_error();
  ERR_clear_error();
  if (v != X509_V_OK) return X509_verify_cert_error_string(v);
  if (q) {
    const char *r = ERR_reason_error_string(q);
    snprintf(msg, sizeof msg, "%s", r ? r : "TLS error");
    return msg;
  }
  return k->st == K_UP ? "connection closed" : "closed before CONNACK";
}

static void out_reserve(kit_t *k, size_t n) {
  if (k->out_off == k->out_len) k->out_off = k->out_len = 0;
  if (k->out_len + n <= k->out_cap) return;
  if (k->out_off > 0) {
    memmove(k->out, k->out + k->out_off, k->out_len - k->out_off);
    k->out_len -= k->out_off;
    k->out_off = 0;
  }
  if (k->out_len + n > k->out_cap) {
    size_t cap = k->out_cap ? k->out_cap : 512;
    while (cap < k->out_len + n) cap *= 2;
    k->out = xrealloc(k->out, cap);
    k->out_cap = cap;
  }
}

/* TLS records OpenSSL produced (into its memory BIO) move to the kit's output buffer. */
static void drain_wbio(kit_t *k) {
  size_t n;
  while (k->wbio && (n = BIO_ctrl_pending(k->wbio)) > 0) {
    out_reserve(k, n);
    int r = BIO_read(k->wbio, k->out + k->out_len, (int)n);
    if (r <= 0) break;
    k->out_len += (size_t)r;
  }
}

/* Sends the output buffer; what the socket does not take waits for EPOLLOUT. -1: the kit failed. */
static int kit_flush(kit_t *k) {
  while (k->out_off < k->out_len) {
    ssize_t r = send(k->fd, k->out + k->out_off, k->out_len - k->out_off, MSG_NOSIGNAL);
    if (r >= 0) {
      k->out_off += (size_t)r;
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
    if (errno == EINTR) continue;
    kit_fail(k, errno_name(errno));
    return -1;
  }
  k->out_off = k->out_len = 0;
  return 0;
}

/* Queues one MQTT packet (encrypted with TLS) and sends it. -1: the kit failed. */
static int kit_send(kit_t *k, const unsigned char *p, size_t n) {
  if (k->ssl) {
    if (SSL_write(k->ssl, p, (int)n) <= 0) { /* a memory BIO never blocks: this is an error */
      kit_fail(k, tls_error(k));
      return -1;
    }
    drain_wbio(k);
  } else {
    out_reserve(k, n);
    memcpy(k->out + k->out_len, p, n);
    k->out_len += n;
  }
  return kit_flush(k);
}

static unsigned char pkt[2048]; /* one outgoing MQTT packet */

static unsigned char *put_len(unsigned char *p, size_t n) { /* MQTT variable-length "remaining length" */
  do {
    unsigned char b = n & 0x7f;
    n >>= 7;
    *p++ = n ? b | 0x80 : b;
  } while (n);
  return p;
}

static unsigned char *put_str(unsigned char *p, const char *s, size_t n) {
  *p++ = (unsigned char)(n >> 8);
  *p++ = (unsigned char)n;
  memcpy(p, s, n);
  return p + n;
}

static int send_connect(kit_t *k) {
  size_t idn = strlen(k->id), sn = k->secret ? strlen(k->secret) : 0;
  unsigned char *p = pkt;
  *p++ = 0x10;
  p = put_len(p, 10 + 2 + idn + (k->secret ? 2 + idn + 2 + sn : 0));
  p = put_str(p, "MQTT", 4);
  *p++ = 4;                             /* MQTT 3.1.1 */
  *p++ = 0x02 | (k->secret ? 0xc0 : 0); /* clean session; username + password */
  *p++ = 0;
  *p++ = KEEPALIVE_S;
  p = put_str(p, k->id, idn); /* client id = kit id */
  if (k->secret) {
    p = put_str(p, k->id, idn); /* username = kit id */
    p = put_str(p, k->secret, sn);
  }
  return kit_send(k, pkt, (size_t)(p - pkt));
}

static int send_small(kit_t *k, unsigned char type, int mid) { /* PUBACK (mid >= 0) or PINGREQ */
  unsigned char b[4] = {type, 0, 0, 0};
  if (mid < 0) return kit_send(k, b, 2);
  b[1] = 2;
  b[2] = (unsigned char)(mid >> 8);
  b[3] = (unsigned char)mid;
  return kit_send(k, b, 4);
}

static void pend_add(kit_t *k, uint16_t mid, int sub, double t0) {
  if (k->npend == k->pend_cap) {
    k->pend_cap = k->pend_cap ? k->pend_cap * 2 : 4;
    k->pend = xrealloc(k->pend, sizeof(pend_t) * (size_t)k->pend_cap);
  }
  k->pend[k->npend++] = (pend_t){mid, (uint8_t)sub, t0};
  inflight_total++;
}

/* The next free message id (lean-client.ts takeId); -1 when all 65535 are in flight. */
static int take_mid(kit_t *k) {
  if (k->npend >= 65535) return -1;
  for (;;) {
    uint16_t id = k->next_mid;
    k->next_mid = k->next_mid == 65535 ? 1 : k->next_mid + 1;
    int used = 0;
    for (int i = 0; i < k->npend && !used; i++) used = k->pend[i].id == id;
    if (!used) return id;
  }
}

static int send_subscribe(kit_t *k) {
  char topic[96];
  int tn = snprintf(topic, sizeof topic, "sv/%s/cmd", k->id);
  int mid = take_mid(k);
  if (mid < 0) return 0;
  pend_add(k, (uint16_t)mid, 1, rt_ms());
  unsigned char *p = pkt;
  *p++ = 0x82;
  p = put_len(p, 2 + 2 + (size_t)tn + 1);
  *p++ = (unsigned char)(mid >> 8);
  *p++ = (unsigned char)mid;
  p = put_str(p, topic, (size_t)tn);
  *p++ = 1; /* QoS 1 */
  return kit_send(k, pkt, (size_t)(p - pkt));
}

static int on_connack(kit_t *k, int rc) {
  if (rc != 0) {
    char msg[48];
    snprintf(msg, sizeof msg, "CONNACK refused: %d", rc);
    connect_failed(k, msg);
    return -1;
  }
  double t = now_ms();
  hist_record(&h_connect, t - k->t_conn0);
  ctr.connected++;
  active--;
  k->st = K_UP;
  k->k = nclients;
  clients[nclients++] = k;
  k->next_ping = t + KEEPALIVE_S * 500.0;
  return k->cmd ? send_subscribe(k) : 0;
}

/* Telemetry -> command: from the kit's last reading to the first delivery of each command id. */
static void on_command(kit_t *k, const unsigned char *payload, size_t n, double rx) {
  const char *s = (const char *)payload, *end = s + n, *id = "";
  size_t idn = 0;
  for (const char *p = s; p && p < end; p++) { /* /"id":"([^"]+)"/ */
    p = memmem(p, (size_t)(end - p), "\"id\":\"", 6);
    if (!p) break;
    const char *b = p + 6, *q = memchr(b, '"', (size_t)(end - b));
    if (q && q > b) {
      id = b;
      idn = (size_t)(q - b);
      break;
    }
  }
  if (!seen_add(id, idn)) return;
  ctr.commands++;
  if (k->last_pub >= 0) hist_record(&h_command, rx - k->last_pub);
}

/* One MQTT packet from the broker, received at `rx` (rt_ms). Returns -1 if the kit failed. */
static int on_packet(kit_t *k, unsigned char h, const unsigned char *b, size_t n, double rx) {
  switch (h >> 4) {
  case 2: /* CONNACK */
    if (k->st != K_MQTT || n < 2) break;
    return on_connack(k, b[1]);
  case 4: /* PUBACK */
  case 9: /* SUBACK */
    if (n < 2) break;
    {
      uint16_t mid = (uint16_t)(b[0] << 8 | b[1]);
      for (int i = 0; i < k->npend; i++) {
        if (k->pend[i].id != mid) continue;
        pend_t p = k->pend[i];
        memmove(&k->pend[i], &k->pend[i + 1], sizeof(pend_t) * (size_t)(k->npend - i - 1));
        k->npend--;
        inflight_total--;
        if (p.sub) {
          for (size_t j = 2; j < n; j++)
            if (b[j] == 0x80) {
              count_error("subscription refused");
              break;
            }
        } else {
          ctr.acked++;
          hist_record(&h_puback, rx > p.t0 ? rx - p.t0 : 0);
        }
        break;
      }
    }
    return 0;
  case 3: { /* PUBLISH (a command) */
    int qos = (h >> 1) & 3;
    if (n < 2) break;
    size_t off = 2 + (size_t)(b[0] << 8 | b[1]);
    int mid = -1;
    if (qos > 0) {
      if (off + 2 > n) break;
      mid = b[off] << 8 | b[off + 1];
      off += 2;
    }
    if (off > n) break;
    if (qos == 1 && send_small(k, 0x40, mid) < 0) return -1;
    if (k->cmd) on_command(k, b + off, n - off, rx);
    return 0;
  }
  default: /* PINGRESP and anything else: nothing to do */
    return 0;
  }
  kit_fail(k, "malformed packet: connection lost");
  return -1;
}

/* Parses whole packets from p[0..n); returns bytes used, or -1 if the kit failed. */
static long parse(kit_t *k, const unsigned char *p, size_t n, double rx) {
  size_t off = 0;
  while (n - off >= 2) {
    size_t rl = 0, i = 1;
    int shift = 0, done = 0;
    for (; i < 5 && off + i < n; i++, shift += 7) {
      rl |= (size_t)(p[off + i] & 0x7f) << shift;
      if (!(p[off + i] & 0x80)) {
        done = 1;
        i++;
        break;
      }
    }
    if (!done && i < 5) break; /* the length is not complete yet */
    if (!done || rl > MAX_PACKET) {
      kit_fail(k, "invalid packet length: connection lost");
      return -1;
    }
    if (n - off - i < rl) break;
    if (on_packet(k, p[off], p + off + i, rl, rx) < 0) return -1;
    off += i + rl;
  }
  return (long)off;
}

/* MQTT bytes from the broker: whole packets are handled, a partial one waits in the kit's buffer. */
static int feed(kit_t *k, const unsigned char *data, size_t n, double rx) {
  const unsigned char *p = data;
  if (k->in_len) {
    if (k->in_len + n > k->in_cap) {
      k->in_cap = k->in_len + n;
      k->in = xrealloc(k->in, k->in_cap);
    }
    memcpy(k->in + k->in_len, data, n);
    k->in_len += n;
    p = k->in;
    n = k->in_len;
  }
  long used = parse(k, p, n, rx);
  if (used < 0) return -1;
  size_t rest = n - (size_t)used;
  if (rest && p == data) {
    if (rest > k->in_cap) {
      k->in_cap = rest < 256 ? 256 : rest;
      k->in = xrealloc(k->in, k->in_cap);
    }
    memcpy(k->in, data + used, rest);
  } else if (rest) {
    memmove(k->in, k->in + used, rest);
  }
  k->in_len = rest;
  return 0;
}

static void after_handshake(kit_t *k) {
  k->st = K_MQTT;
  send_connect(k);
}

/* Advances the TLS handshake; -1 if it failed. */
static int handshake(kit_t *k) {
  int r = SSL_do_handshake(k->ssl);
  drain_wbio(k);
  if (kit_flush(k) < 0) return -1;
  if (r == 1) {
    after_handshake(k);
    return k->st == K_MQTT ? 0 : -1;
  }
  if (SSL_get_error(k->ssl, r) == SSL_ERROR_WANT_READ) return 0;
  connect_failed(k, tls_error(k));
  return -1;
}

static unsigned char rbuf[1 << 16], pbuf[1 << 16];

/*
 * Reads what the socket holds (edge-triggered epoll: until a short read) and handles it. Each
 * chunk carries the kernel's receive time (SO_TIMESTAMPNS), so a PUBACK's latency does not
 * include the time this process took to get round to reading it. Returns -1 if the kit failed.
 */
static int kit_read(kit_t *k) {
  for (;;) {
    union {
      char buf[CMSG_SPACE(sizeof(struct timespec))];
      struct cmsghdr align;
    } cb;
    struct iovec iov = {rbuf, sizeof rbuf};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cb.buf, .msg_controllen = sizeof cb.buf};
    ssize_t r = recvmsg(k->fd, &mh, 0);
    if (r == 0) {
      kit_fail(k, k->st == K_UP ? "connection closed" : "closed before CONNACK");
      return -1;
    }
    if (r < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
      if (errno == EINTR) continue;
      kit_fail(k, errno_name(errno));
      return -1;
    }
    double rx = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        rx = (double)(ts.tv_sec - rt_base.tv_sec) * 1e3 + (double)(ts.tv_nsec - rt_base.tv_nsec) / 1e6;
      }
    if (rx < 0) rx = rt_ms();
    if (!k->ssl) {
      if (feed(k, rbuf, (size_t)r, rx) < 0) return -1;
    } else {
      BIO_write(SSL_get_rbio(k->ssl), rbuf, (int)r);
      if (k->st == K_TLS && (handshake(k) < 0 || k->st == K_TLS)) {
        if (k->st == K_DOWN) return -1;
        if ((size_t)r < sizeof rbuf) return 0;
        continue;
      }
      for (;;) {
        int x = SSL_read(k->ssl, pbuf, sizeof pbuf);
        if (x > 0) {
          if (feed(k, pbuf, (size_t)x, rx) < 0) return -1;
          continue;
        }
        int e = SSL_get_error(k->ssl, x);
        if (e == SSL_ERROR_WANT_READ) break;
        kit_fail(k, e == SSL_ERROR_ZERO_RETURN ? (k->st == K_UP ? "connection closed" : "closed before CONNACK") : tls_error(k));
        return -1;
      }
      drain_wbio(k); /* e.g. a TLS 1.3 key update answer */
      if (k->out_len > k->out_off && kit_flush(k) < 0) return -1;
    }
    if ((size_t)r < sizeof rbuf) return 0; /* a short read: the socket is drained */
  }
}

static void kit_start(kit_t *k) {
  k->t_conn0 = now_ms();
  k->fd = -1;
  k->last_pub = -1;
  k->next_mid = 1;
  k->st = K_TCP;
  active++;
  int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    connect_failed(k, errno_name(errno));
    return;
  }
  k->fd = fd;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* lean-client.ts: setNoDelay */
  setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&addr, addrlen) < 0 && errno != EINPROGRESS) {
    connect_failed(k, errno_name(errno));
    return;
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP, .data.ptr = k};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) connect_failed(k, errno_name(errno));
}

static void on_event(kit_t *k, uint32_t ev) {
  if (k->st == K_TCP) {
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
    if (err) {
      connect_failed(k, errno_name(err));
      return;
    }
    if (!(ev & EPOLLOUT)) return;
    if (!ctx) {
      after_handshake(k);
    } else {
      k->ssl = SSL_new(ctx);
      BIO *rb = BIO_new(BIO_s_mem()), *wb = BIO_new(BIO_s_mem());
      if (!k->ssl || !rb || !wb) die(1, "out of memory (OpenSSL)");
      BIO_set_mem_eof_return(rb, -1); /* an empty read BIO means "want more", not EOF */
      SSL_set_bio(k->ssl, rb, wb);
      k->wbio = wb;
      SSL_set_tlsext_host_name(k->ssl, "localhost"); /* as the lean client: servername "localhost" */
      SSL_set1_host(k->ssl, "localhost");
      SSL_set_connect_state(k->ssl);
      k->st = K_TLS;
      if (handshake(k) < 0) return;
    }
  }
  if (k->st == K_DOWN || k->st == K_IDLE) return;
  if ((ev & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) && kit_read(k) < 0) return;
  if ((ev & EPOLLOUT) && k->out_len > k->out_off) kit_flush(k);
}

/* ---------- publishing ---------- */

static void publish(kit_t *k) {
  if (spec.maxinflight && k->npend >= spec.maxinflight) { /* closed loop: window full */
    ctr.held++;
    return;
  }
  double t0 = rt_ms();
  /* partition.ts: a kit with a cook reports an over-temperature bath from its trigger time on. */
  int hot = k->cmd && now_ms() >= started_at + spec.hotafter + (double)(k->k % 200) * 50;
  double tempC = hot ? 76 : 55 + (double)(k->k % 10) / 16;
  if (k->cmd) k->last_pub = t0;
  ctr.published++;
  if (k->st != K_UP) {
    ctr.failed++;
    count_error("not connected");
    return;
  }
  char payload[256], topic[96];
  int pn = snprintf(payload, sizeof payload, "{\"v\":1,\"boot\":%lld,\"seq\":%llu,\"ts\":%lld,\"tempC\":%.4f,\"sensor\":\"ok\",\"heater\":true}",
                    spec.boot, (unsigned long long)k->seq++, epoch_ms(), tempC);
  int tn = snprintf(topic, sizeof topic, "sv/%s/telemetry", k->id);
  int mid = 0;
  if (spec.qos == 1) {
    mid = take_mid(k);
    if (mid < 0) {
      ctr.failed++;
      count_error("client: 65535 messages in flight");
      return;
    }
    pend_add(k, (uint16_t)mid, 0, t0);
  }
  unsigned char *p = pkt;
  *p++ = spec.qos ? 0x32 : 0x30;
  p = put_len(p, 2 + (size_t)tn + (spec.qos ? 2 : 0) + (size_t)pn);
  p = put_str(p, topic, (size_t)tn);
  if (spec.qos) {
    *p++ = (unsigned char)(mid >> 8);
    *p++ = (unsigned char)mid;
  }
  memcpy(p, payload, (size_t)pn);
  p += pn;
  if (kit_send(k, pkt, (size_t)(p - pkt)) < 0) return;
  if (!spec.qos) ctr.acked++;
}

/* ---------- reporting ---------- */

static void print_counters(FILE *o) {
  fprintf(o,
          "\"counters\":{\"connected\":%llu,\"connectFailed\":%llu,\"published\":%llu,\"acked\":%llu,\"failed\":%llu,\"commands\":%llu,"
          "\"held\":%llu}",
          (unsigned long long)ctr.connected, (unsigned long long)ctr.connectFailed, (unsigned long long)ctr.published,
          (unsigned long long)ctr.acked, (unsigned long long)ctr.failed, (unsigned long long)ctr.commands, (unsigned long long)ctr.held);
}

static void progress(void) {
  printf("{\"type\":\"progress\",\"index\":%d,", spec.index);
  print_counters(stdout);
  printf("}\n");
  fflush(stdout);
}

static void print_hist(const char *name, const hist_t *h) {
  printf(",\"%s\":{\"counts\":[", name);
  for (int i = 0; i < HIST_BUCKETS; i++) printf(i ? ",%llu" : "%llu", (unsigned long long)h->counts[i]);
  printf("],\"max\":%.6f}", h->max);
}

static void print_json_string(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void final(double cpu, double steady) {
  printf("{\"type\":\"final\",\"index\":%d,", spec.index);
  print_counters(stdout);
  print_hist("puback", &h_puback);
  print_hist("connect", &h_connect);
  print_hist("command", &h_command);
  printf(",\"errors\":{");
  for (int i = 0; i < nerrs; i++) {
    if (i) putchar(',');
    print_json_string(errs[i].key);
    printf(":%llu", (unsigned long long)errs[i].n);
  }
  printf("},\"cpuMs\":%.3f,\"steadyCpuMs\":%.3f}\n", cpu, steady);
  fflush(stdout);
}

/* ---------- the loop ---------- */

static double next_progress, next_sweep;

/* Waits for events until `until` (now_ms), or only collects what is ready (until <= now). */
static void poll_once(double until) {
  static struct epoll_event evs[1024];
  double wait = until - now_ms();
  int timeout = wait <= 0 ? 0 : (int)ceil(wait), n;
  do {
    n = epoll_wait(epfd, evs, (int)(sizeof evs / sizeof evs[0]), timeout);
    if (n < 0 && errno != EINTR) die(1, "epoll_wait: %s", strerror(errno));
    for (int i = 0; i < n; i++) on_event(evs[i].data.ptr, evs[i].events);
    timeout = 0;
  } while (n == (int)(sizeof evs / sizeof evs[0]));
}

/*
 * Publishing and grace: sleep to the next tick, then take every event at once. Waking once per
 * tick instead of once per PUBACK is most of the generator's saving (a wake-up costs more than
 * a message here); latencies come from kernel receive timestamps, so the tick does not bias them.
 * tick 0: wake on every event, as in the connect phase.
 */
static void wait_tick(double until) {
  if (spec.tick <= 0) {
    poll_once(until);
    return;
  }
  double t = now_ms();
  if (until > t) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double ns = (double)ts.tv_nsec + (until - t) * 1e6;
    ts.tv_sec += (time_t)(ns / 1e9);
    ts.tv_nsec = (long)fmod(ns, 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
  }
  poll_once(0);
}

/* Once a second: progress; every 250 ms: connect timeouts and keepalive pings. */
static void timers(void) {
  double t = now_ms();
  if (t >= next_progress) {
    progress();
    next_progress += 1000;
    if (next_progress < t) next_progress = t + 1000;
  }
  if (t < next_sweep) return;
  next_sweep = t + 250;
  for (int i = 0; i < spec.nkits; i++) {
    kit_t *k = &spec.kits[i];
    if ((k->st == K_TCP || k->st == K_TLS || k->st == K_MQTT) && t - k->t_conn0 >= CONNECT_TIMEOUT_MS) {
      connect_failed(k, "connect timeout");
    } else if (k->st == K_UP && t >= k->next_ping) {
      k->next_ping += KEEPALIVE_S * 500.0;
      send_small(k, 0xc0, -1);
    }
  }
}

static int by_phase(const void *a, const void *b) {
  double x = (*(kit_t *const *)a)->phase, y = (*(kit_t *const *)b)->phase;
  return x < y ? -1 : x > y;
}

static double min3(double a, double b, double c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }
static double max2(double a, double b) { return a > b ? a : b; }

int main(int argc, char **argv) {
  if (argc != 2 || argv[1][0] == '-') die(2, "usage: kitgen <spec-file> (see the comment at the top of kitgen.c)");
  double cpu0 = cpu_ms();
  clock_gettime(CLOCK_REALTIME, &rt_base);
  parse_spec(argv[1]);
  signal(SIGPIPE, SIG_IGN);

  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && (rlim_t)spec.nkits + 32 > rl.rlim_cur)
    fprintf(stderr, "kitgen: open-files limit %llu < %d kits: the rest will fail with EMFILE\n", (unsigned long long)rl.rlim_cur,
            spec.nkits);

  if (spec.ca) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) die(1, "SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (access(spec.ca, R_OK) != 0) die(2, "spec: \"ca\": cannot read CA file %s: %s", spec.ca, strerror(errno));
    if (SSL_CTX_load_verify_locations(ctx, spec.ca, NULL) != 1) die(2, "spec: \"ca\": %s holds no PEM certificate", spec.ca);
  }

  char port[16];
  snprintf(port, sizeof port, "%d", spec.port);
  struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
  int gai = getaddrinfo(spec.host, port, &hints, &ai);
  if (gai) die(2, "spec: \"host\": cannot resolve %s: %s", spec.host, gai_strerror(gai));
  memcpy(&addr, ai->ai_addr, ai->ai_addrlen);
  addrlen = ai->ai_addrlen;
  freeaddrinfo(ai);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die(1, "epoll_create1: %s", strerror(errno));
  clients = calloc(spec.nkits ? spec.nkits : 1, sizeof *clients);
  if (!clients) die(1, "out of memory");
  for (int i = 0; i < spec.nkits; i++) spec.kits[i].fd = -1;
  rng_state = (uint64_t)epoch_ms() ^ ((uint64_t)getpid() << 32) ^ 0x9e3779b97f4a7c15ULL;
  next_progress = now_ms() + 1000;
  next_sweep = now_ms() + 250;

  /* 1. connect with bounded parallelism, waking on every event (connect times stay exact) */
  int next = 0;
  for (;;) {
    while (next < spec.nkits && active < spec.parallelism) kit_start(&spec.kits[next++]);
    if (active == 0 && next >= spec.nkits) break;
    poll_once(next_progress < next_sweep ? next_progress : next_sweep);
    timers();
  }

  /* 2. open loop: every connected kit publishes every period from its own random phase */
  double period = 1000.0 / spec.rate;
  started_at = now_ms();
  double end_at = started_at + spec.duration * 1000, phase_end = end_at + PUBLISH_TAIL_MS;
  double steady0 = cpu_ms();
  kit_t **order = calloc(nclients ? (size_t)nclients : 1, sizeof *order);
  if (!order) die(1, "out of memory");
  for (int i = 0; i < nclients; i++) {
    order[i] = clients[i];
    order[i]->phase = rand01() * period;
  }
  qsort(order, (size_t)nclients, sizeof *order, by_phase); /* the schedule: kits in phase order, round after round */
  int cur = 0;
  long long round = 0;
  for (;;) {
    double t = now_ms(), due = phase_end;
    if (t >= phase_end) break;
    while (nclients > 0) {
      due = started_at + order[cur]->phase + (double)round * period;
      if (due > t || due >= end_at) break;
      publish(order[cur]);
      if (++cur == nclients) {
        cur = 0;
        round++;
      }
    }
    if (due >= end_at) due = phase_end;
    wait_tick(min3(max2(due, t + spec.tick), next_progress, next_sweep));
    timers();
  }
  double steady = cpu_ms() - steady0;

  /* 3. grace for the last acks; what is still unacknowledged fails */
  double grace_end = now_ms() + GRACE_MS;
  while (inflight_total > 0 && now_ms() < grace_end) {
    wait_tick(min3(now_ms() + max2(spec.tick, 10), next_progress, grace_end));
    timers();
  }
  if (inflight_total > 0) {
    ctr.failed += inflight_total;
    add_error("gateway:no_puback", inflight_total);
  }
  final(cpu_ms() - cpu0, steady);
  return 0;
}
