// Licensed under the MIT License.
//
// Build and run: gcc -O2 -pthread benchmarks/ceiling/echo.c -o /tmp/echo-ceiling && /tmp/echo-ceiling
//
// Ceiling reference for W11: 1,000 loopback TCP connections, client and server ends in one
// process, each client sends 1,000 64-byte messages and reads each echo before the next.
// Two threads (one per core), each owning half of the connection pairs and its own
// edge-triggered epoll set: no scheduler, no wakeups across threads, no allocation.
// Each direction carries one message at a time, so the read that completes a message leaves
// the socket empty: no call ends in EAGAIN.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <errno.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
enum { CONNS = 1000, MSGS = 1000, SIZE = 64 };
typedef struct { int fd; int is_client; int sent; int got; char buf[SIZE]; } end_t;
static end_t ends[2 * CONNS];
static int listener;
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static void nb(int fd) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); }
static void *worker(void *arg) {
  long id = (long)arg; int ep = epoll_create1(0);
  for (int i = id; i < CONNS; i += 2) {
    for (int k = 0; k < 2; k++) { end_t *e = &ends[2 * i + k]; struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = e }; epoll_ctl(ep, EPOLL_CTL_ADD, e->fd, &ev); }
    end_t *c = &ends[2 * i]; memset(c->buf, 7, SIZE); write(c->fd, c->buf, SIZE); c->sent = 1;
  }
  int left = (CONNS + 1 - id) / 2; struct epoll_event evs[128];
  while (left > 0) {
    int n = epoll_wait(ep, evs, 128, -1);
    for (int j = 0; j < n; j++) {
      end_t *e = evs[j].data.ptr; if (!(evs[j].events & EPOLLIN)) continue;
      for (;;) {
        ssize_t r = read(e->fd, e->buf + e->got, SIZE - e->got);
        if (r <= 0) break;
        e->got += r;
        if (e->got < SIZE) continue;
        e->got = 0;
        if (!e->is_client) { write(e->fd, e->buf, SIZE); break; }
        if (e->sent == MSGS) { left--; break; }
        write(e->fd, e->buf, SIZE); e->sent++; break;
      }
    }
  }
  return NULL;
}
int main(void) {
  listener = socket(AF_INET, SOCK_STREAM, 0); struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
  bind(listener, (void *)&a, sizeof a); listen(listener, 4096); socklen_t l = sizeof a; getsockname(listener, (void *)&a, &l);
  for (int i = 0; i < CONNS; i++) {
    int c = socket(AF_INET, SOCK_STREAM, 0); if (connect(c, (void *)&a, sizeof a)) { perror("connect"); return 1; }
    int s = accept(listener, 0, 0); nb(c); nb(s);
    fcntl(c, F_SETFL, O_NONBLOCK); fcntl(s, F_SETFL, O_NONBLOCK);
    ends[2 * i] = (end_t){ .fd = c, .is_client = 1 }; ends[2 * i + 1] = (end_t){ .fd = s };
  }
  double t = now(); pthread_t th[2];
  for (long i = 0; i < 2; i++) pthread_create(&th[i], 0, worker, (void *)i);
  for (int i = 0; i < 2; i++) pthread_join(th[i], 0);
  double el = now() - t;
  printf("echo.msgs_per_sec %.1f msg/s\n", (double)CONNS * MSGS / el);
  return 0;
}
