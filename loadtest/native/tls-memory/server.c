/*
 * What one TLS connection costs an OpenSSL server, with and without SSL_MODE_RELEASE_BUFFERS
 * (Node's TLS sets that mode on every connection). Run by measure.ts: `server <port> <release 0|1> <cert> <key>`;
 * prints "ready <RSS KiB>" once listening and "rss <RSS KiB>" on each SIGUSR1. Echoes the first
 * 4 bytes of each record it reads (a PUBACK's size), like the gateway answering a PUBLISH.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t report = 0;
static void on_usr1(int sig) { (void)sig; report = 1; }

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kib = 0;
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kib = atol(line + 6);
  if (f) fclose(f);
  return kib;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: server <port> <release 0|1> <cert> <key>\n"); return 2; }
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx || SSL_CTX_use_certificate_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1) { fprintf(stderr, "bad cert or key\n"); return 1; }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL); /* a certificate request, as the gateway sends; none is required */
  if (atoi(argv[2])) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  signal(SIGUSR1, on_usr1);

  int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(0x7f000001);
  if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1024) != 0) { perror("listen"); return 1; }
  fcntl(ls, F_SETFL, O_NONBLOCK);
  int ep = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, ls, &lev);
  printf("ready %ld\n", rss_kib());
  fflush(stdout);

  struct epoll_event evs[256];
  char buf[4096];
  for (;;) {
    if (report) { report = 0; printf("rss %ld\n", rss_kib()); fflush(stdout); }
    int n = epoll_wait(ep, evs, 256, 100);
    for (int i = 0; i < n; i++) {
      if (evs[i].data.ptr == NULL) {
        int c;
        while ((c = accept(ls, NULL, NULL)) >= 0) {
          fcntl(c, F_SETFL, O_NONBLOCK);
          SSL *s = SSL_new(ctx);
          SSL_set_fd(s, c);
          SSL_set_accept_state(s);
          struct epoll_event e = {.events = EPOLLIN, .data.ptr = s};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &e);
        }
        continue;
      }
      SSL *s = evs[i].data.ptr;
      if (!SSL_is_init_finished(s)) {
        int r = SSL_do_handshake(s);
        if (r <= 0) {
          int e = SSL_get_error(s, r);
          if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) { close(SSL_get_fd(s)); SSL_free(s); }
          continue;
        }
      }
      int r;
      while ((r = SSL_read(s, buf, sizeof buf)) > 0) SSL_write(s, buf, r < 4 ? r : 4);
    }
  }
}
