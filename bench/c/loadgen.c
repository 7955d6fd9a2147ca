/* A load generator in C: keeps N requests in flight on each connection it is given, refilling
 * the window with one write per read, and counts the answers (Content-Length frames). The
 * connections come already open (and, for the daemon, with a session) as file descriptors
 * 3, 4, …, from bench/run.mjs. Prints {"count":…,"seconds":…}.
 *   loadgen <requests per connection> <in flight> <connections> <request body> */
#define _GNU_SOURCE /* memmem */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define BUFFER (256 * 1024)

struct connection { int fd; long sent, answered; size_t have; char in[BUFFER]; };

/* Counts the whole answers in the buffer; keeps the partial one. */
static long count_answers(struct connection *c) {
  size_t at = 0;
  long answers = 0;
  for (;;) {
    char *end = memmem(c->in + at, c->have - at, "\r\n\r\n", 4);
    if (!end) break;
    const char *length_text = memmem(c->in + at, (size_t)(end - (c->in + at)), "Content-Length: ", 16);
    if (!length_text) { fprintf(stderr, "loadgen: an answer without Content-Length\n"); exit(1); }
    size_t whole = (size_t)(end - c->in) + 4 + strtoul(length_text + 16, NULL, 10);
    if (whole > c->have) break;
    answers++;
    at = whole;
  }
  memmove(c->in, c->in + at, c->have - at);
  c->have -= at;
  return answers;
}

/* Sends `count` request frames in one write. */
static void send_requests(struct connection *c, const char *frame, size_t frame_length, long count, char *batch) {
  size_t length = 0;
  for (long i = 0; i < count; i++) { memcpy(batch + length, frame, frame_length); length += frame_length; }
  for (size_t done = 0; done < length;) {
    ssize_t n = write(c->fd, batch + done, length - done);
    if (n < 0) { perror("loadgen: write"); exit(1); }
    done += (size_t)n;
  }
  c->sent += count;
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: loadgen <requests per connection> <in flight> <connections> <request body>\n"); return 2; }
  long total = atol(argv[1]), in_flight = atol(argv[2]);
  int connections = atoi(argv[3]);
  if (connections < 1 || connections > MAX_CONNECTIONS || in_flight < 1 || in_flight > 1024) { fprintf(stderr, "loadgen: bad arguments\n"); return 2; }
  char frame[4096];
  size_t frame_length = (size_t)snprintf(frame, sizeof frame, "Content-Length: %zu\r\n\r\n%s", strlen(argv[4]), argv[4]);
  char *batch = malloc(frame_length * (size_t)in_flight);
  static struct connection all[MAX_CONNECTIONS];
  struct pollfd polled[MAX_CONNECTIONS];
  struct timespec started, ended;
  clock_gettime(CLOCK_MONOTONIC, &started);
  for (int i = 0; i < connections; i++) {
    all[i].fd = polled[i].fd = 3 + i;
    polled[i].events = POLLIN;
    send_requests(&all[i], frame, frame_length, in_flight < total ? in_flight : total, batch);
  }
  int open = connections;
  while (open > 0) {
    if (poll(polled, (nfds_t)connections, -1) < 0) { perror("loadgen: poll"); return 1; }
    for (int i = 0; i < connections; i++) {
      struct connection *c = &all[i];
      if (!(polled[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(c->fd, c->in + c->have, sizeof c->in - c->have);
      if (n <= 0) { fprintf(stderr, "loadgen: the server closed connection %d\n", i); return 1; }
      c->have += (size_t)n;
      c->answered += count_answers(c);
      long more = total - c->sent;
      long room = in_flight - (c->sent - c->answered);
      if (more > room) more = room;
      if (more > 0) send_requests(c, frame, frame_length, more, batch);
      if (c->answered == total) { polled[i].fd = -1; open--; }
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &ended);
  double seconds = (double)(ended.tv_sec - started.tv_sec) + (double)(ended.tv_nsec - started.tv_nsec) / 1e9;
  printf("{\"count\":%ld,\"seconds\":%.6f}\n", total * connections, seconds);
  return 0;
}
