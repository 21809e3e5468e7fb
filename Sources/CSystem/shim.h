#ifndef H2LAB_CSYSTEM_SHIM_H
#define H2LAB_CSYSTEM_SHIM_H
// Linux system calls Swift's Glibc module does not bring in: epoll, for the event loop; and the
// heap's size, for `h2lab bench memory`, and its growth step, for `h2lab class`.
#include <sys/epoll.h>
#include <malloc.h>
#include <sys/socket.h>
#include <fcntl.h>
#include <stddef.h>

// accept, with the new socket non-blocking and closed on exec (accept4 needs _GNU_SOURCE).
static inline int h2lab_accept_nonblocking(int fd) {
    int client = accept(fd, NULL, NULL);
    if (client >= 0) {
        fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
        fcntl(client, F_SETFD, FD_CLOEXEC);
    }
    return client;
}

// The file descriptor an event is about (epoll_data is a union; Swift reads it through this).
static inline int h2lab_event_fd(const struct epoll_event *event) { return event->data.fd; }
static inline void h2lab_event_set_fd(struct epoll_event *event, int fd) { event->data.fd = fd; }

// How far past a request glibc's heap grows at once (M_TOP_PAD): 1 when set.
static inline int h2lab_heap_top_pad(int octets) { return mallopt(M_TOP_PAD, octets); }

// Octets the heap has handed out and not yet taken back, in all of malloc's arenas (glibc).
static inline size_t h2lab_heap_in_use(void) { return mallinfo2().uordblks; }
#endif
