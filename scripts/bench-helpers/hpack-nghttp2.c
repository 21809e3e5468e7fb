/* The reference figure for `scripts/bench hpack`: nghttp2's C HPACK (Debian libnghttp2-dev) on the
 * same stories as `h2lab bench hpack --dump FILE` wrote, measured the same way: decode MB/s of wire
 * octets (nghttp2_hd_inflate_hd2), encode MB/s of header name+value octets in
 * (nghttp2_hd_deflate_hd), and the octets its encoder produces.
 * Usage: hpack-nghttp2 DUMP [SECONDS] */
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { uint8_t *wire; size_t wirelen; nghttp2_nv *nv; size_t nvlen; } block;
typedef struct { block *blocks; size_t count; } story;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static uint8_t *unhex(const char *s, size_t *len) {
    size_t n = strlen(s) / 2;
    uint8_t *out = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) { unsigned v; sscanf(s + 2 * i, "%2x", &v); out[i] = (uint8_t)v; }
    *len = n;
    return out;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc == 4) { fprintf(stderr, "usage: %s DUMP [SECONDS] [encode|decode PASSES]\n", argv[0]); return 2; }
    double seconds = argc > 2 ? atof(argv[2]) : 2;
    /* Fixed passes of one part: 0 = clocked, as long as `seconds`. */
    long decode_passes = 0, encode_passes = 0;
    if (argc > 4) {
        if (strcmp(argv[3], "encode") == 0) encode_passes = atol(argv[4]);
        else if (strcmp(argv[3], "decode") == 0) decode_passes = atol(argv[4]);
        else { fprintf(stderr, "PART is encode or decode\n"); return 2; }
        if (encode_passes + decode_passes < 1) { fprintf(stderr, "PASSES is at least 1\n"); return 2; }
    }
    int fixed = argc > 4;
    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    story *stories = NULL; size_t nstories = 0;
    size_t wire_total = 0, header_total = 0, fields = 0, blocks = 0;
    char *line = NULL; size_t cap = 0; ssize_t got;
    while ((got = getline(&line, &cap, f)) > 0) {
        if (line[got - 1] == '\n') line[--got] = 0;
        if (line[0] == 'S') {
            stories = realloc(stories, ++nstories * sizeof *stories);
            stories[nstories - 1] = (story){0};
        } else if (line[0] == 'W') {
            story *s = &stories[nstories - 1];
            s->blocks = realloc(s->blocks, ++s->count * sizeof *s->blocks);
            block *b = &s->blocks[s->count - 1];
            *b = (block){0};
            b->wire = unhex(line + 2, &b->wirelen);
            wire_total += b->wirelen;
            blocks++;
        } else if (line[0] == 'H') {
            block *b = &stories[nstories - 1].blocks[stories[nstories - 1].count - 1];
            char *tab = strchr(line + 2, '\t');
            if (!tab) continue;
            *tab = 0;
            b->nv = realloc(b->nv, ++b->nvlen * sizeof *b->nv);
            nghttp2_nv *nv = &b->nv[b->nvlen - 1];
            nv->name = (uint8_t *)strdup(line + 2); nv->namelen = strlen(line + 2);
            nv->value = (uint8_t *)strdup(tab + 1); nv->valuelen = strlen(tab + 1);
            nv->flags = NGHTTP2_NV_FLAG_NONE;
            header_total += nv->namelen + nv->valuelen;
            fields++;
        }
    }
    free(line);
    fclose(f);

    long sink = 0, runs = 0;
    double start = now(), elapsed;
    if (!fixed || decode_passes > 0) do {
        for (size_t i = 0; i < nstories; i++) {
            nghttp2_hd_inflater *in;
            nghttp2_hd_inflate_new(&in);
            for (size_t j = 0; j < stories[i].count; j++) {
                block *b = &stories[i].blocks[j];
                uint8_t *p = b->wire; size_t left = b->wirelen;
                for (;;) {
                    nghttp2_nv nv; int flags = 0;
                    ssize_t used = nghttp2_hd_inflate_hd2(in, &nv, &flags, p, left, 1);
                    if (used < 0) { fprintf(stderr, "inflate error %zd\n", used); return 1; }
                    p += used; left -= used;
                    if (flags & NGHTTP2_HD_INFLATE_EMIT) sink += nv.valuelen;
                    if (flags & NGHTTP2_HD_INFLATE_FINAL) { nghttp2_hd_inflate_end_headers(in); break; }
                    if (used == 0 && left == 0) break;
                }
            }
            nghttp2_hd_inflate_del(in);
        }
        runs++;
        elapsed = now() - start;
    } while (fixed ? runs < decode_passes : elapsed < seconds);
    elapsed = now() - start;
    double decode = wire_total * (double)runs / elapsed / 1e6;

    uint8_t *buf = malloc(1 << 20);
    long encoded = 0;
    runs = 0;
    start = now();
    if (!fixed || encode_passes > 0) do {
        encoded = 0;
        for (size_t i = 0; i < nstories; i++) {
            nghttp2_hd_deflater *out;
            nghttp2_hd_deflate_new(&out, 4096);
            for (size_t j = 0; j < stories[i].count; j++) {
                block *b = &stories[i].blocks[j];
                ssize_t n = nghttp2_hd_deflate_hd(out, buf, 1 << 20, b->nv, b->nvlen);
                if (n < 0) { fprintf(stderr, "deflate error %zd\n", n); return 1; }
                encoded += n;
            }
            nghttp2_hd_deflate_del(out);
        }
        runs++;
        elapsed = now() - start;
    } while (fixed ? runs < encode_passes : elapsed < seconds);
    elapsed = now() - start;
    double encode = header_total * (double)runs / elapsed / 1e6;
    printf("nghttp2 %s: %zu stories, %zu blocks, %zu fields\n", nghttp2_version(0)->version_str, nstories, blocks, fields);
    printf("decode MB/s: %.1f\n", decode);
    printf("encode MB/s: %.1f  (header name+value octets in)\n", encode);
    printf("encoded octets: %ld  (header name+value octets in: %zu)\n", encoded, header_total);
    return sink == 42 ? 3 : 0;
}
