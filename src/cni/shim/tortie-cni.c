/*
 * tortie — the CNI plugin executable a container runtime starts once per pod.
 *
 * Starting a JavaScript runtime per pod costs more (~63 ms) than the whole job should take, so
 * this is a tiny native shim (as Cilium's plugin is): it hands the request — the CNI_* variables
 * and the network config from stdin — to the Tortie agent already running on the node, over a
 * unix socket, and relays the answer. The agent does IPAM, the veth and the WorkloadEndpoint.
 *
 *   request:  "TORTIE-CNI/1\n" + "CNI_X=value\n"… + "\n" + <config bytes>      (then EOF)
 *   response: "<exit status>\n" + <bytes for stdout>
 *
 * The socket is the config's "agent_socket" (default /var/run/tortie/cni.sock), or
 * TORTIE_CNI_SOCKET. Without an agent the answer is CNI error 11, "try again later". VERSION is
 * answered here, so a runtime can probe the plugin before the agent starts.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_SOCKET "/var/run/tortie/cni.sock"
#define SUPPORTED "[\"0.3.0\",\"0.3.1\",\"0.4.0\",\"1.0.0\",\"1.1.0\"]"

static char *read_all(int fd, size_t *len) {
  size_t cap = 65536, n = 0;
  char *buf = malloc(cap + 1);
  if (!buf) return NULL;
  for (;;) {
    if (n == cap) {
      char *more = realloc(buf, (cap *= 2) + 1);
      if (!more) { free(buf); return NULL; }
      buf = more;
    }
    ssize_t r = read(fd, buf + n, cap - n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    n += (size_t)r;
  }
  buf[n] = '\0';
  *len = n;
  return buf;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* The string value of a top-level-looking "field": "value" in JSON text (no escapes needed for
 * the values read here: a version and a socket path). Returns 1 when found. */
static int string_field(const char *json, const char *field, char *out, size_t outlen) {
  char key[64];
  snprintf(key, sizeof key, "\"%s\"", field);
  const char *p = json ? strstr(json, key) : NULL;
  if (!p) return 0;
  p += strlen(key);
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != ':') return 0;
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  if (*p++ != '"') return 0;
  size_t i = 0;
  while (*p && *p != '"' && i + 1 < outlen) out[i++] = *p++;
  out[i] = '\0';
  return *p == '"';
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    if (*s == '"' || *s == '\\') fputc('\\', f);
    if ((unsigned char)*s < 0x20) { fprintf(f, "\\u%04x", *s); continue; }
    fputc(*s, f);
  }
  fputc('"', f);
}

static int cni_error(const char *version, int code, const char *msg) {
  printf("{\"cniVersion\":");
  json_string(stdout, version);
  printf(",\"code\":%d,\"msg\":", code);
  json_string(stdout, msg);
  printf("}\n");
  return 1;
}

int main(void) {
  size_t inlen = 0;
  char *in = read_all(0, &inlen);
  if (!in) return cni_error("1.1.0", 5, "tortie: out of memory reading the network configuration");
  char version[32] = "1.1.0";
  string_field(in, "cniVersion", version, sizeof version);

  /* The socket comes from the config: a config that is not even a JSON object is answered here
   * (code 6, as the spec asks), rather than blamed on a missing agent. */
  const char *b = in, *e = in + inlen;
  while (b < e && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r')) b++;
  while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r')) e--;
  const char *command0 = getenv("CNI_COMMAND");
  if (!(command0 && strcmp(command0, "VERSION") == 0) && (b == e || *b != '{' || e[-1] != '}')) {
    return cni_error(version, 6, "The network configuration on stdin is not a JSON object");
  }

  const char *command = getenv("CNI_COMMAND");
  if (command && strcmp(command, "VERSION") == 0) {
    printf("{\"cniVersion\":");
    json_string(stdout, version);
    printf(",\"supportedVersions\":" SUPPORTED "}\n");
    return 0;
  }

  char path[sizeof(((struct sockaddr_un *)0)->sun_path)] = DEFAULT_SOCKET;
  const char *env_sock = getenv("TORTIE_CNI_SOCKET");
  if (env_sock && *env_sock) snprintf(path, sizeof path, "%s", env_sock);
  else string_field(in, "agent_socket", path, sizeof path);

  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
  if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    char msg[512];
    snprintf(msg, sizeof msg, "The Tortie agent is not running on this node (cannot connect to %s: %s); start `tortie agent` and try again", path, strerror(errno));
    return cni_error(version, 11, msg);
  }

  /* Header, the CNI_* environment, a blank line, then the config. */
  size_t cap = 4096, n = 0;
  char *req = malloc(cap);
  if (!req) return cni_error(version, 5, "tortie: out of memory");
  n += (size_t)snprintf(req, cap, "TORTIE-CNI/1\n");
  for (char **e = environ; *e; e++) {
    if (strncmp(*e, "CNI_", 4) != 0) continue;
    size_t l = strlen(*e);
    while (n + l + 2 > cap) { char *more = realloc(req, cap *= 2); if (!more) return cni_error(version, 5, "tortie: out of memory"); req = more; }
    memcpy(req + n, *e, l);
    n += l;
    req[n++] = '\n';
  }
  if (n + 1 > cap) { char *more = realloc(req, cap + 1); if (!more) return cni_error(version, 5, "tortie: out of memory"); req = more; }
  req[n++] = '\n';
  if (write_all(fd, req, n) < 0 || write_all(fd, in, inlen) < 0) return cni_error(version, 11, "The Tortie agent closed the connection while receiving the request; try again");
  shutdown(fd, SHUT_WR);

  size_t outlen = 0;
  char *out = read_all(fd, &outlen);
  close(fd);
  char *nl = out ? memchr(out, '\n', outlen) : NULL;
  if (!nl) return cni_error(version, 11, "The Tortie agent closed the connection without an answer; try again");
  *nl = '\0';
  int status = atoi(out);
  size_t body = outlen - (size_t)(nl + 1 - out);
  if (body > 0 && write_all(1, nl + 1, body) < 0) return 1;
  return status;
}
