/* The floor of any server on this socket, in C: an epoll loop on a Unix socket that reads
 * Content-Length frames and answers each with one fixed frame, the answers of one read in one write.
 * No JSON, no work. bench/run.mjs builds it with cc and measures the daemon against it.
 *   server <socket path>      (prints "listening" once it accepts connections) */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_EVENTS 64
#define BUFFER (256 * 1024)

static const char ANSWER[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"authenticated\":true,\"name\":\"bench-key\",\"expiresOn\":\"2027-11-27\",\"status\":\"Active\"}}";

struct connection { int fd; size_t have; char in[BUFFER]; char out[BUFFER * 2]; };

/* Answers every whole frame in the connection's buffer; the partial one left is moved to the front. */
static size_t answer_frames(struct connection *c, const char *frame, size_t frame_length) {
  size_t at = 0, out = 0;
  for (;;) {
    char *end = memmem(c->in + at, c->have - at, "\r\n\r\n", 4);
    if (!end) break;
    const char *length_text = memmem(c->in + at, (size_t)(end - (c->in + at)), "Content-Length: ", 16);
    if (!length_text) { c->have = 0; return out; }
    size_t body = strtoul(length_text + 16, NULL, 10);
    size_t whole = (size_t)(end - c->in) + 4 + body;
    if (whole > c->have) break;
    if (out + frame_length > sizeof c->out) break;
    memcpy(c->out + out, frame, frame_length);
    out += frame_length;
    at = whole;
  }
  memmove(c->in, c->in + at, c->have - at);
  c->have -= at;
  return out;
}

static int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0) { if (errno == EINTR || errno == EAGAIN) continue; return -1; }
    data += n; length -= (size_t)n;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: server <socket path>\n"); return 2; }
  char frame[512];
  size_t frame_length = (size_t)snprintf(frame, sizeof frame, "Content-Length: %zu\r\n\r\n%s", strlen(ANSWER), ANSWER);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  strncpy(address.sun_path, argv[1], sizeof address.sun_path - 1);
  unlink(argv[1]);
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0 || listen(listener, 128) < 0) { perror("listen"); return 1; }
  int poller = epoll_create1(0);
  struct epoll_event event = { .events = EPOLLIN, .data.ptr = NULL };
  epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
  printf("listening\n");
  fflush(stdout);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int ready = epoll_wait(poller, events, MAX_EVENTS, -1);
    for (int i = 0; i < ready; i++) {
      struct connection *c = events[i].data.ptr;
      if (!c) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) continue;
        c = calloc(1, sizeof *c);
        c->fd = fd;
        struct epoll_event added = { .events = EPOLLIN, .data.ptr = c };
        epoll_ctl(poller, EPOLL_CTL_ADD, fd, &added);
        continue;
      }
      ssize_t n = read(c->fd, c->in + c->have, sizeof c->in - c->have);
      if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        close(c->fd);
        free(c);
        continue;
      }
      c->have += (size_t)n;
      size_t out = answer_frames(c, frame, frame_length);
      if (out > 0 && write_all(c->fd, c->out, out) < 0) { close(c->fd); free(c); }
    }
  }
}
