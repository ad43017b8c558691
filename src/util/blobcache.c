#include "util/blobcache.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/crypto.h"

#define SUFFIX ".blob"
#define KEY_MAX 128

struct blobcache {
    char dir[512];
    unsigned max_entries;
};

static int mkdir_parent(const char *dir)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", dir);
    char *slash = strrchr(tmp, '/');
    if (slash && slash != tmp) {
        *slash = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

struct blobcache *blobcache_open(const char *dir, unsigned max_entries)
{
    if (!dir || !*dir || strlen(dir) + KEY_MAX + 16 >= sizeof((struct blobcache *)0)->dir ||
        mkdir_parent(dir) != 0 || access(dir, W_OK | X_OK) != 0)
        return NULL;
    struct blobcache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->max_entries = max_entries ? max_entries : 1;
    return c;
}

void blobcache_close(struct blobcache *c)
{
    free(c);
}

static int key_ok(const char *key)
{
    size_t n = 0;
    for (; key[n]; n++)
        if (!((key[n] >= '0' && key[n] <= '9') || (key[n] >= 'a' && key[n] <= 'z') ||
              (key[n] >= 'A' && key[n] <= 'Z')))
            return 0;
    return n > 0 && n <= KEY_MAX;
}

/* Reads up to max bytes of fd; the file must be exactly its fstat size. */
static char *read_all(int fd, size_t max, size_t *len)
{
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > max)
        return NULL;
    size_t n = (size_t)st.st_size, got = 0;
    char *buf = malloc(n);
    while (buf && got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0) {
            free(buf);
            return NULL;
        }
        got += (size_t)r;
    }
    *len = n;
    return buf;
}

/* File layout: 32 bytes SHA-256 of the content, then the content. */
char *blobcache_load(void *cache, const char *key, size_t *len)
{
    struct blobcache *c = cache;
    if (!c || !key_ok(key))
        return NULL;
    char path[700];
    snprintf(path, sizeof path, "%s/%s" SUFFIX, c->dir, key);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return NULL;
    size_t n = 0;
    char *buf = read_all(fd, BLOBCACHE_MAX_BYTES + SHA256_LEN, &n);
    close(fd);
    if (!buf || n <= SHA256_LEN)
        goto miss;
    uint8_t sum[SHA256_LEN];
    crypto_sha256(buf + SHA256_LEN, n - SHA256_LEN, sum);
    if (memcmp(sum, buf, SHA256_LEN) != 0)
        goto miss; /* torn or altered: recompute, and the store replaces it */
    memmove(buf, buf + SHA256_LEN, n - SHA256_LEN);
    *len = n - SHA256_LEN;
    return buf;
miss:
    free(buf);
    return NULL;
}

/* Removes the oldest entries beyond max_entries - 1, making room for one. */
static void prune(struct blobcache *c)
{
    DIR *d = opendir(c->dir);
    if (!d)
        return;
    for (;;) {
        unsigned count = 0;
        time_t oldest_t = 0;
        char oldest[300] = "";
        struct dirent *e;
        rewinddir(d);
        while ((e = readdir(d))) {
            size_t n = strlen(e->d_name);
            if (n <= strlen(SUFFIX) || strcmp(e->d_name + n - strlen(SUFFIX), SUFFIX) != 0)
                continue;
            struct stat st;
            if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
                continue;
            count++;
            if (!oldest[0] || st.st_mtime < oldest_t) {
                oldest_t = st.st_mtime;
                snprintf(oldest, sizeof oldest, "%s", e->d_name);
            }
        }
        if (count < c->max_entries || !oldest[0] || unlinkat(dirfd(d), oldest, 0) != 0)
            break;
    }
    closedir(d);
}

int blobcache_store(void *cache, const char *key, const char *bytes, size_t len)
{
    struct blobcache *c = cache;
    if (!c || !key_ok(key) || len == 0 || len > BLOBCACHE_MAX_BYTES)
        return -1;
    prune(c);
    char path[700], tmp[720];
    snprintf(path, sizeof path, "%s/%s" SUFFIX, c->dir, key);
    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", c->dir, key, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -1;
    uint8_t sum[SHA256_LEN];
    crypto_sha256(bytes, len, sum);
    int ok = write(fd, sum, SHA256_LEN) == SHA256_LEN;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, bytes + off, len - off);
        ok = w > 0;
        off += ok ? (size_t)w : 0;
    }
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}
