/*
 * Network namespaces and TUN devices for the wire layer (harness/wire/topology.ts is the
 * JavaScript side). Everything that must happen *inside* a namespace happens on a short-lived
 * thread that enters it: a network namespace belongs to a thread, not to a process, so the
 * event loop's own thread never leaves the namespace it started in.
 *
 *   createSide({ tun, address, peer, mtu } | null, nsFd?)    a thread of its own:
 *        unshare(CLONE_NEWNET) (or setns into nsFd) ─▶ IPv6 off ─▶ lo up ─▶ open /dev/net/tun,
 *        TUNSETIFF ─▶ address, point-to-point peer (the kernel adds the route), MTU, up
 *        ─▶ { nsFd, tunFd, inode }                  (both descriptors close-on-exec)
 *
 * Nothing touches the namespace the process started in: the TUN device is created in the new
 * namespace (the descriptor of /dev/net/tun is opened there), configured through a socket opened
 * there, and the namespace lives as long as a descriptor or a bind mount refers to it.
 *
 *   enterNetns(nsFd)              the calling thread joins the namespace (a worker thread, before
 *                                 it opens sockets)
 *   openSocket(nsFd, kind, address, port)   a TCP or UDP socket created inside the namespace
 *                                 (bound when given an address) for any thread to use: a socket
 *                                 belongs to the namespace it was created in, wherever it is used
 *   readNetFile(nsFd, name)       /proc/net/<name> (snmp, netstat, dev) as seen from inside
 *   bindMount(source, target)     publish a namespace (`ip netns` reads /run/netns)
 *   unmount(target)               detach such a bind mount
 *   namespaceInode(fd)            the namespace's identity (what /proc/PID/ns/net links to)
 *   tcpInfo(socketFd)             getsockopt(TCP_INFO) as an object
 *   closeTogether(fds)            close descriptors in parallel (TUN teardown)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "udp_native.h"
#include "wire_native.h"

/* The TUN devices' transmit ring, in packets (see create_tun). */
#define TUN_QUEUE_PACKETS 8192

/* A step that failed inside a namespace thread: its errno and what it was doing. */
typedef struct {
  int err;
  const char *step;
} Failure;

static int fail(Failure *f, const char *step) {
  f->err = errno;
  f->step = step;
  return -1;
}

/* Runs `fn(arg)` on a fresh thread with every signal blocked, and waits for it. */
static int on_own_thread(void *(*fn)(void *), void *arg) {
  pthread_t thread;
  int err = start_thread_unsignalled(&thread, fn, arg);
  if (err != 0) return err;
  pthread_join(thread, NULL);
  return 0;
}

static napi_value throw_failure(napi_env env, const Failure *f) { return throw_errno(env, f->err, f->step); }

// ── one side of a wire path ────────────────────────────────────────────────

typedef struct {
  int join_fd; /* -1: a new namespace */
  char tun[IFNAMSIZ];
  struct in_addr address, peer;
  int mtu;
  int ns_fd, tun_fd;
  Failure failure;
} SideJob;

/* Writes a sysctl of the thread's namespace; a file that does not exist (no IPv6) is fine. */
static int write_sysctl(const char *path, const char *value) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? 0 : -1;
  ssize_t n = write(fd, value, strlen(value));
  int err = errno;
  close(fd);
  errno = err;
  return n < 0 ? -1 : 0;
}

static int set_flags_up(int sock, const char *name) {
  struct ifreq r;
  memset(&r, 0, sizeof r);
  snprintf(r.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(sock, SIOCGIFFLAGS, &r) < 0) return -1;
  r.ifr_flags |= IFF_UP | IFF_RUNNING;
  return ioctl(sock, SIOCSIFFLAGS, &r);
}

static int set_ipv4(int sock, const char *name, unsigned long request, struct in_addr value) {
  struct ifreq r;
  memset(&r, 0, sizeof r);
  snprintf(r.ifr_name, IFNAMSIZ, "%s", name);
  struct sockaddr_in *a = (struct sockaddr_in *)&r.ifr_addr;
  a->sin_family = AF_INET;
  a->sin_addr = value;
  return ioctl(sock, request, &r);
}

/*
 * Sets a device's transmit queue length over netlink: the SIOCSIFTXQLEN ioctl asks for
 * CAP_NET_ADMIN in the machine's own user namespace, netlink only in the namespace's owner, which
 * a rootless faultline is.
 */
static int set_tx_queue_len(int ifindex, uint32_t packets) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return -1;
  struct {
    struct nlmsghdr header;
    struct ifinfomsg link;
    struct rtattr attr;
    uint32_t value;
  } request = {
      .header = {.nlmsg_len = sizeof request, .nlmsg_type = RTM_NEWLINK, .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1},
      .link = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex},
      .attr = {.rta_len = RTA_LENGTH(sizeof(uint32_t)), .rta_type = IFLA_TXQLEN},
      .value = packets,
  };
  struct {
    struct nlmsghdr header;
    struct nlmsgerr error;
  } answer;
  int result = -1;
  if (send(fd, &request, sizeof request, 0) == (ssize_t)sizeof request && recv(fd, &answer, sizeof answer, 0) >= (ssize_t)sizeof answer) {
    if (answer.header.nlmsg_type == NLMSG_ERROR && answer.error.error == 0) result = 0;
    else errno = answer.header.nlmsg_type == NLMSG_ERROR ? -answer.error.error : EPROTO;
  }
  int err = errno;
  close(fd);
  errno = err;
  return result;
}

/*
 * The TUN device: one IP packet per read and write, no packet-information header, and no offloads
 * (no IFF_VNET_HDR, no TUNSETOFFLOAD), so the kernel segments and checksums every packet before
 * the engine sees it: one read is one packet as it would be on a wire of this MTU.
 */
static int create_tun(SideJob *job, int sock) {
  Failure *f = &job->failure;
  job->tun_fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (job->tun_fd < 0) return fail(f, "open /dev/net/tun");
  struct ifreq r;
  memset(&r, 0, sizeof r);
  snprintf(r.ifr_name, IFNAMSIZ, "%s", job->tun);
  r.ifr_flags = IFF_TUN | IFF_NO_PI;
  if (ioctl(job->tun_fd, TUNSETIFF, &r) < 0) return fail(f, "ioctl TUNSETIFF");
  if (set_ipv4(sock, job->tun, SIOCSIFADDR, job->address) < 0) return fail(f, "ioctl SIOCSIFADDR");
  /* A point-to-point peer: the kernel routes the peer's address through the device by itself. */
  if (set_ipv4(sock, job->tun, SIOCSIFDSTADDR, job->peer) < 0) return fail(f, "ioctl SIOCSIFDSTADDR");
  struct in_addr host_mask = {.s_addr = htonl(0xffffffffu)};
  if (set_ipv4(sock, job->tun, SIOCSIFNETMASK, host_mask) < 0) return fail(f, "ioctl SIOCSIFNETMASK");
  memset(&r, 0, sizeof r);
  snprintf(r.ifr_name, IFNAMSIZ, "%s", job->tun);
  r.ifr_mtu = job->mtu;
  if (ioctl(sock, SIOCSIFMTU, &r) < 0) return fail(f, "ioctl SIOCSIFMTU");
  /*
   * The TUN device's transmit ring is its only queue: when it is full the kernel drops the packet
   * before the engine sees it (tx_dropped), and no ledger would know. Its default of 500 packets
   * overflows under one TCP connection's bursts (TCP small queues allow 1 MB below the socket),
   * which showed as ~6 % retransmissions with no fault at all; TUN_QUEUE_PACKETS does not.
   */
  if (ioctl(sock, SIOCGIFINDEX, &r) < 0) return fail(f, "ioctl SIOCGIFINDEX");
  if (set_tx_queue_len(r.ifr_ifindex, TUN_QUEUE_PACKETS) < 0) return fail(f, "netlink RTM_NEWLINK IFLA_TXQLEN");
  if (set_flags_up(sock, job->tun) < 0) return fail(f, "ioctl SIOCSIFFLAGS (tun up)");
  return 0;
}

static void *side_thread(void *arg) {
  SideJob *job = arg;
  Failure *f = &job->failure;
  int sock = -1;
  if (job->join_fd >= 0 ? setns(job->join_fd, CLONE_NEWNET) < 0 : unshare(CLONE_NEWNET) < 0) {
    fail(f, job->join_fd >= 0 ? "setns" : "unshare(CLONE_NEWNET)");
    return NULL;
  }
  /*
   * IPv6 off before any device exists: otherwise the kernel sends router solicitations and MLD
   * reports on the TUN device as soon as it is up, packets that nobody asked for in the ledger.
   */
  if (job->join_fd < 0 && (write_sysctl("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1") < 0 ||
                           write_sysctl("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1") < 0)) {
    fail(f, "write net.ipv6.conf.*.disable_ipv6");
    goto done;
  }
  sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) {
    fail(f, "socket");
    goto done;
  }
  if (set_flags_up(sock, "lo") < 0) {
    fail(f, "ioctl SIOCSIFFLAGS (lo up)");
    goto done;
  }
  if (job->tun[0] && create_tun(job, sock) < 0) goto done;
  job->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (job->ns_fd < 0) fail(f, "open /proc/thread-self/ns/net");
done:
  if (sock >= 0) close(sock);
  if (f->err && job->tun_fd >= 0) {
    close(job->tun_fd);
    job->tun_fd = -1;
  }
  return NULL;
}

static int get_string(napi_env env, napi_value object, const char *key, char *out, size_t size) {
  napi_value value;
  size_t len;
  if (napi_get_named_property(env, object, key, &value) != napi_ok) return 0;
  return napi_get_value_string_utf8(env, value, out, size, &len) == napi_ok && len > 0 && len < size;
}

static int get_int(napi_env env, napi_value object, const char *key, int32_t *out) {
  napi_value value;
  return napi_get_named_property(env, object, key, &value) == napi_ok && napi_get_value_int32(env, value, out) == napi_ok;
}

static int get_ipv4(napi_env env, napi_value object, const char *key, struct in_addr *out) {
  char text[INET_ADDRSTRLEN];
  return get_string(env, object, key, text, sizeof text) && inet_pton(AF_INET, text, out) == 1;
}

static napi_value set_number(napi_env env, napi_value object, const char *key, double number) {
  napi_value value;
  if (napi_create_double(env, number, &value) != napi_ok) return NULL;
  if (napi_set_named_property(env, object, key, value) != napi_ok) return NULL;
  return object;
}

/* createSide(tun: { name, address, peer, mtu } | null, joinNsFd = -1) -> { nsFd, tunFd, inode } */
static napi_value CreateSide(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  napi_valuetype type;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  SideJob job = {.join_fd = -1, .ns_fd = -1, .tun_fd = -1};
  if (argc > 1) CHECK(napi_get_value_int32(env, argv[1], &job.join_fd));
  CHECK(napi_typeof(env, argv[0], &type));
  if (type == napi_object) {
    if (!get_string(env, argv[0], "name", job.tun, sizeof job.tun) || !get_ipv4(env, argv[0], "address", &job.address) ||
        !get_ipv4(env, argv[0], "peer", &job.peer) || !get_int(env, argv[0], "mtu", &job.mtu)) {
      return throw_errno(env, EINVAL, "createSide: tun needs name (< 16 bytes), address, peer (IPv4) and mtu");
    }
  }
  /* The result object first: once the descriptors are open, a failure has to close them. */
  CHECK(napi_create_object(env, &result));
  int err = on_own_thread(side_thread, &job);
  if (err != 0) return throw_errno(env, err, "pthread_create");
  if (job.failure.err) return throw_failure(env, &job.failure);
  struct stat st;
  fstat(job.ns_fd, &st);
  if (!set_number(env, result, "nsFd", job.ns_fd) || !set_number(env, result, "tunFd", job.tun_fd) ||
      !set_number(env, result, "inode", (double)st.st_ino)) {
    close(job.ns_fd);
    if (job.tun_fd >= 0) close(job.tun_fd);
    return NULL;
  }
  return result;
}

// ── entering a namespace, reading from inside one ──────────────────────────

/* enterNetns(nsFd): the calling thread (only it) joins the namespace. */
static napi_value EnterNetns(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (setns(fd, CLONE_NEWNET) < 0) return throw_errno(env, errno, "setns");
  return NULL;
}

/*
 * openSocket(nsFd, "tcp" | "udp", address | null, port) -> { fd, port }: an IPv4 socket created
 * by a thread inside the namespace, bound to address:port when an address is given (port 0: a
 * free one, reported back). The event loop wraps the descriptor (net.Socket({ fd }), server.listen({
 * fd }), dgram bind({ fd })) and uses it as any other: no JavaScript thread leaves its namespace.
 */
typedef struct {
  int ns_fd, type, fd, port;
  int bind;
  struct sockaddr_in address;
  Failure failure;
} SocketJob;

static void *socket_thread(void *arg) {
  SocketJob *job = arg;
  if (setns(job->ns_fd, CLONE_NEWNET) < 0) {
    fail(&job->failure, "setns");
    return NULL;
  }
  job->fd = socket(AF_INET, job->type | SOCK_CLOEXEC, 0);
  if (job->fd < 0) {
    fail(&job->failure, "socket");
    return NULL;
  }
  if (!job->bind) return NULL;
  int one = 1;
  socklen_t len = sizeof job->address;
  if (job->type == SOCK_STREAM && setsockopt(job->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) fail(&job->failure, "setsockopt SO_REUSEADDR");
  else if (bind(job->fd, (struct sockaddr *)&job->address, sizeof job->address) < 0) fail(&job->failure, "bind");
  else if (getsockname(job->fd, (struct sockaddr *)&job->address, &len) < 0) fail(&job->failure, "getsockname");
  else job->port = ntohs(job->address.sin_port);
  if (job->failure.err) {
    close(job->fd);
    job->fd = -1;
  }
  return NULL;
}

static napi_value OpenSocket(napi_env env, napi_callback_info info) {
  size_t argc = 4, len;
  napi_value argv[4], result;
  napi_valuetype type;
  char kind[8], address[INET_ADDRSTRLEN];
  int32_t port = 0;
  SocketJob job = {.fd = -1, .address = {.sin_family = AF_INET}};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &job.ns_fd));
  CHECK(napi_get_value_string_utf8(env, argv[1], kind, sizeof kind, &len));
  if (strcmp(kind, "tcp") == 0) job.type = SOCK_STREAM;
  else if (strcmp(kind, "udp") == 0) job.type = SOCK_DGRAM;
  else return throw_errno(env, EINVAL, "openSocket: kind must be tcp or udp");
  CHECK(napi_typeof(env, argv[2], &type));
  if (type == napi_string) {
    CHECK(napi_get_value_string_utf8(env, argv[2], address, sizeof address, &len));
    CHECK(napi_get_value_int32(env, argv[3], &port));
    if (inet_pton(AF_INET, address, &job.address.sin_addr) != 1 || port < 0 || port > 65535) return throw_errno(env, EINVAL, "openSocket: an IPv4 address and a port 0..65535");
    job.address.sin_port = htons((uint16_t)port);
    job.bind = 1;
  }
  /* The result object first: once the socket is open, a failure has to close it. */
  CHECK(napi_create_object(env, &result));
  int err = on_own_thread(socket_thread, &job);
  if (err != 0) return throw_errno(env, err, "pthread_create");
  if (job.failure.err) return throw_failure(env, &job.failure);
  if (!set_number(env, result, "fd", job.fd) || !set_number(env, result, "port", job.port)) {
    close(job.fd);
    return NULL;
  }
  return result;
}

typedef struct {
  int ns_fd;
  char path[64];
  char *text;
  size_t len;
  Failure failure;
} ReadJob;

static void *read_thread(void *arg) {
  ReadJob *job = arg;
  if (setns(job->ns_fd, CLONE_NEWNET) < 0) {
    fail(&job->failure, "setns");
    return NULL;
  }
  /* thread-self, not self: /proc/self/net is the namespace of the process's main thread. */
  int fd = open(job->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(&job->failure, "open /proc/thread-self/net");
    return NULL;
  }
  size_t cap = 16384;
  job->text = malloc(cap);
  if (job->text == NULL) fail(&job->failure, "read (out of memory)");
  while (!job->failure.err) {
    if (job->len == cap) {
      /* On failure the text read so far stays in job->text, which the caller frees. */
      char *grown = realloc(job->text, cap * 2);
      if (grown == NULL) {
        fail(&job->failure, "read (out of memory)");
        break;
      }
      job->text = grown;
      cap *= 2;
    }
    ssize_t n = read(fd, job->text + job->len, cap - job->len);
    if (n > 0) job->len += (size_t)n;
    else if (n == 0) break;
    else if (errno != EINTR) fail(&job->failure, "read"); /* not a partial text passed off as the whole */
  }
  close(fd);
  return NULL;
}

/* readNetFile(nsFd, name) -> the text of /proc/net/<name> inside the namespace */
static napi_value ReadNetFile(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], result;
  char name[32];
  size_t len;
  ReadJob job = {0};
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &job.ns_fd));
  CHECK(napi_get_value_string_utf8(env, argv[1], name, sizeof name, &len));
  if (len == 0 || strchr(name, '/') != NULL || strstr(name, "..") != NULL) return throw_errno(env, EINVAL, "readNetFile");
  snprintf(job.path, sizeof job.path, "/proc/thread-self/net/%s", name);
  int err = on_own_thread(read_thread, &job);
  if (err != 0) return throw_errno(env, err, "pthread_create");
  if (job.failure.err) {
    free(job.text);
    return throw_failure(env, &job.failure);
  }
  napi_status status = napi_create_string_utf8(env, job.text, job.len, &result);
  free(job.text);
  CHECK(status);
  return result;
}

// ── publishing a namespace under a name ────────────────────────────────────

/* bindMount(source, target): `ip netns` finds a namespace by a bind mount in /run/netns. */
static napi_value BindMount(napi_env env, napi_callback_info info) {
  size_t argc = 2, len;
  napi_value argv[2];
  char source[256], target[256];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], source, sizeof source, &len));
  CHECK(napi_get_value_string_utf8(env, argv[1], target, sizeof target, &len));
  if (mount(source, target, "none", MS_BIND, NULL) < 0) return throw_errno(env, errno, "mount");
  return NULL;
}

/* unmount(target): detaches the bind mount; the namespace ends when nothing else holds it. */
static napi_value Unmount(napi_env env, napi_callback_info info) {
  size_t argc = 1, len;
  napi_value argv[1];
  char target[256];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], target, sizeof target, &len));
  if (umount2(target, MNT_DETACH) < 0) return throw_errno(env, errno, "umount2");
  return NULL;
}

/* namespaceInode(fd): what `readlink /proc/PID/ns/net` shows as net:[INODE] for the same namespace */
static napi_value NamespaceInode(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd;
  struct stat st;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (fstat(fd, &st) < 0) return throw_errno(env, errno, "fstat");
  CHECK(napi_create_double(env, (double)st.st_ino, &result));
  return result;
}

// ── closing TUN devices ────────────────────────────────────────────────────

static void *close_thread(void *arg) {
  close((int)(intptr_t)arg);
  return NULL;
}

/*
 * closeTogether([fd, …]): closes descriptors at the same time, each on a thread of its own.
 * Closing a TUN descriptor unregisters its device, which waits for RCU grace periods (13–36 ms
 * each here); two at once wait for them together, halving a wire path's teardown.
 */
static napi_value CloseTogether(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], element;
  uint32_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_array_length(env, argv[0], &n));
  if (n > 16) return throw_errno(env, EINVAL, "closeTogether");
  pthread_t threads[16];
  int started[16] = {0};
  for (uint32_t i = 0; i < n; i++) {
    int32_t fd;
    CHECK(napi_get_element(env, argv[0], i, &element));
    CHECK(napi_get_value_int32(env, element, &fd));
    started[i] = start_thread_unsignalled(&threads[i], close_thread, (void *)(intptr_t)fd) == 0;
    if (!started[i]) close(fd);
  }
  for (uint32_t i = 0; i < n; i++) {
    if (started[i]) pthread_join(threads[i], NULL);
  }
  return NULL;
}

// ── TCP_INFO ───────────────────────────────────────────────────────────────

/*
 * The kernel's struct tcp_info (include/uapi/linux/tcp.h, a stable ABI that only grows), spelt
 * out here because glibc's copy stops at tcpi_total_retrans and <linux/tcp.h> clashes with the
 * <netinet/tcp.h> that libuv's header brings in. A kernel older than a field returns less.
 */
struct kernel_tcp_info {
  uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff, tcpi_options, tcpi_wscale, tcpi_flags;
  uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
  uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
  uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv, tcpi_last_ack_recv;
  uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh, tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering;
  uint32_t tcpi_rcv_rtt, tcpi_rcv_space, tcpi_total_retrans;
  uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked, tcpi_bytes_received;
  uint32_t tcpi_segs_out, tcpi_segs_in, tcpi_notsent_bytes, tcpi_min_rtt, tcpi_data_segs_in, tcpi_data_segs_out;
  uint64_t tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
  uint32_t tcpi_delivered, tcpi_delivered_ce;
  uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
  uint32_t tcpi_dsack_dups, tcpi_reord_seen;
  uint32_t tcpi_rcv_ooopack, tcpi_snd_wnd, tcpi_rcv_wnd, tcpi_rehash;
  uint16_t tcpi_total_rto, tcpi_total_rto_recoveries; /* Linux 6.7 */
  uint32_t tcpi_total_rto_time;
};

/* tcpInfo(fd) -> the kernel's view of one TCP socket; times in µs as the kernel keeps them */
static napi_value TcpInfo(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], result;
  int32_t fd;
  struct kernel_tcp_info t;
  socklen_t len = sizeof t;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  memset(&t, 0, sizeof t);
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &t, &len) < 0) return throw_errno(env, errno, "getsockopt TCP_INFO");
  CHECK(napi_create_object(env, &result));
#define FIELD(key, member) \
  if (len >= offsetof(struct kernel_tcp_info, member) + sizeof t.member && !set_number(env, result, key, (double)t.member)) return NULL
  FIELD("state", tcpi_state);
  FIELD("caState", tcpi_ca_state);
  FIELD("retransmits", tcpi_retransmits);
  FIELD("backoff", tcpi_backoff);
  FIELD("rtoUs", tcpi_rto);
  FIELD("sndMss", tcpi_snd_mss);
  FIELD("rcvMss", tcpi_rcv_mss);
  FIELD("unacked", tcpi_unacked);
  FIELD("sacked", tcpi_sacked);
  FIELD("minRttUs", tcpi_min_rtt);
  FIELD("lost", tcpi_lost);
  FIELD("retrans", tcpi_retrans);
  FIELD("rttUs", tcpi_rtt);
  FIELD("rttvarUs", tcpi_rttvar);
  FIELD("sndSsthresh", tcpi_snd_ssthresh);
  FIELD("sndCwnd", tcpi_snd_cwnd);
  FIELD("reordering", tcpi_reordering);
  FIELD("totalRetrans", tcpi_total_retrans);
  FIELD("bytesAcked", tcpi_bytes_acked);
  FIELD("bytesReceived", tcpi_bytes_received);
  FIELD("segsOut", tcpi_segs_out);
  FIELD("segsIn", tcpi_segs_in);
  FIELD("dataSegsOut", tcpi_data_segs_out);
  FIELD("dataSegsIn", tcpi_data_segs_in);
  FIELD("deliveryRate", tcpi_delivery_rate);
  FIELD("bytesSent", tcpi_bytes_sent);
  FIELD("bytesRetrans", tcpi_bytes_retrans);
  FIELD("dsackDups", tcpi_dsack_dups);
  FIELD("reordSeen", tcpi_reord_seen);
  FIELD("totalRto", tcpi_total_rto);
  FIELD("totalRtoRecoveries", tcpi_total_rto_recoveries);
  FIELD("totalRtoTimeMs", tcpi_total_rto_time);
#undef FIELD
  return result;
}

napi_value wire_netns_init(napi_env env, napi_value exports) {
  napi_property_descriptor functions[] = {
      {"createSide", NULL, CreateSide, NULL, NULL, NULL, napi_default, NULL},
      {"enterNetns", NULL, EnterNetns, NULL, NULL, NULL, napi_default, NULL},
      {"openSocket", NULL, OpenSocket, NULL, NULL, NULL, napi_default, NULL},
      {"readNetFile", NULL, ReadNetFile, NULL, NULL, NULL, napi_default, NULL},
      {"bindMount", NULL, BindMount, NULL, NULL, NULL, napi_default, NULL},
      {"unmount", NULL, Unmount, NULL, NULL, NULL, napi_default, NULL},
      {"namespaceInode", NULL, NamespaceInode, NULL, NULL, NULL, napi_default, NULL},
      {"tcpInfo", NULL, TcpInfo, NULL, NULL, NULL, napi_default, NULL},
      {"closeTogether", NULL, CloseTogether, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions));
  return exports;
}
