#ifndef H2LAB_COPENSSL_SHIM_H
#define H2LAB_COPENSSL_SHIM_H
// Small C helpers over OpenSSL (Debian libssl-dev) for H2Lab's TLS transport. Callbacks and
// macros stay on the C side; Swift sees plain functions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

// ALPN protocols offered and accepted, in preference order (wire format: length-prefixed).
static const unsigned char h2lab_alpn_protocols[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

static int h2lab_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                             const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl; (void)arg;
    if (SSL_select_next_proto((unsigned char **)out, outlen, h2lab_alpn_protocols, sizeof(h2lab_alpn_protocols), in, inlen)
        != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    return SSL_TLSEXT_ERR_OK;
}

// A connection's TLS records as they cross the socket, and its secrets, for a capture file: the
// socket BIO's callback sees every octet read and written; the key log callback every secret.
typedef void (*h2lab_wire_bytes)(void *context, int sent, const unsigned char *data, size_t length);
typedef void (*h2lab_wire_secret)(void *context, const char *line);
struct h2lab_wire {
    h2lab_wire_bytes bytes;
    h2lab_wire_secret secret;
    void *context;
};

static inline int h2lab_wire_index(void) {
    static int index = -1;
    if (index < 0) index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return index;
}

static long h2lab_bio_callback(BIO *bio, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                               size_t *processed) {
    (void)len; (void)argi; (void)argl;
    if (!(oper & BIO_CB_RETURN) || ret <= 0 || processed == NULL || argp == NULL) return ret;
    struct h2lab_wire *wire = (struct h2lab_wire *)BIO_get_callback_arg(bio);
    if (wire == NULL) return ret;
    int op = oper & ~BIO_CB_RETURN;
    if (op == BIO_CB_READ) wire->bytes(wire->context, 0, (const unsigned char *)argp, *processed);
    else if (op == BIO_CB_WRITE) wire->bytes(wire->context, 1, (const unsigned char *)argp, *processed);
    return ret;
}

/// Watches a connection's socket BIO and secrets; call before the handshake.
static inline void h2lab_watch_wire(SSL *ssl, struct h2lab_wire *wire) {
    BIO *bio = SSL_get_rbio(ssl);
    if (bio != NULL) {
        BIO_set_callback_arg(bio, (char *)wire);
        BIO_set_callback_ex(bio, h2lab_bio_callback);
    }
    SSL_set_ex_data(ssl, h2lab_wire_index(), wire);
}

// NSS key log format, to the file named by SSLKEYLOGFILE (what browsers and curl do), so that a
// capture can be decrypted in Wireshark; and to the connection's capture, if it has one.
static void h2lab_keylog(const SSL *ssl, const char *line) {
    struct h2lab_wire *wire = (struct h2lab_wire *)SSL_get_ex_data(ssl, h2lab_wire_index());
    if (wire != NULL && wire->secret != NULL) wire->secret(wire->context, line);
    const char *path = getenv("SSLKEYLOGFILE");
    if (path == NULL || *path == 0) return;
    FILE *f = fopen(path, "a");
    if (f == NULL) return;
    fprintf(f, "%s\n", line);
    fclose(f);
}

static inline void h2lab_common_options(SSL_CTX *ctx) {
    // TLS 1.2 or later, and for TLS 1.2 only the ephemeral AEAD suites RFC 9113 §9.2.2 allows.
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_keylog_callback(ctx, h2lab_keylog);
}

static inline SSL_CTX *h2lab_server_context(const char *cert, const char *key) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (ctx == NULL) return NULL;
    h2lab_common_options(ctx);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1
        || SSL_CTX_check_private_key(ctx) != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_alpn_select_cb(ctx, h2lab_alpn_select, NULL);
    return ctx;
}

static inline SSL_CTX *h2lab_client_context(int verify) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) return NULL;
    h2lab_common_options(ctx);
    SSL_CTX_set_alpn_protos(ctx, h2lab_alpn_protocols, sizeof(h2lab_alpn_protocols));
    if (verify) {
        SSL_CTX_set_default_verify_paths(ctx);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    return ctx;
}

static inline void h2lab_set_sni(SSL *ssl, const char *host) {
    SSL_set_tlsext_host_name(ssl, host);
    SSL_set1_host(ssl, host);
}

// The negotiated ALPN protocol into `out` (empty if none); returns its length.
static inline int h2lab_alpn(const SSL *ssl, char *out, int capacity) {
    const unsigned char *data = NULL;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl, &data, &length);
    if (data == NULL || (int)length >= capacity) { out[0] = 0; return 0; }
    memcpy(out, data, length);
    out[length] = 0;
    return (int)length;
}

// The last OpenSSL error as text.
static inline void h2lab_error(char *out, int capacity) {
    unsigned long code = ERR_get_error();
    if (code == 0) { snprintf(out, (size_t)capacity, "unknown TLS error"); return; }
    ERR_error_string_n(code, out, (size_t)capacity);
}

// A self-signed P-256 certificate for localhost and 127.0.0.1, valid for a year, written as PEM.
// The SHA-256 fingerprint of the certificate goes to `fingerprint` (32 octets). Returns 1 on success.
static inline int h2lab_make_self_signed(const char *cert_path, const char *key_path, unsigned char *fingerprint) {
    int ok = 0;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = X509_new();
    FILE *f = NULL;
    if (key == NULL || cert == NULL) goto done;
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), (long)(time(NULL) & 0x7fffffff));
    X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert), 365L * 24 * 3600);
    X509_set_pubkey(cert, key);
    X509_NAME *name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"H2Lab", -1, -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, cert, cert, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    if (san == NULL) goto done;
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    if (X509_sign(cert, key, EVP_sha256()) == 0) goto done;
    f = fopen(key_path, "w");
    if (f == NULL || PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) != 1) goto done;
    fclose(f);
    f = fopen(cert_path, "w");
    if (f == NULL || PEM_write_X509(f, cert) != 1) goto done;
    fclose(f);
    f = NULL;
    unsigned int n = 0;
    X509_digest(cert, EVP_sha256(), fingerprint, &n);
    ok = 1;
done:
    if (f != NULL) fclose(f);
    X509_free(cert);
    EVP_PKEY_free(key);
    return ok;
}

// The SHA-256 fingerprint of the first certificate in a PEM file. Returns 1 on success.
static inline int h2lab_fingerprint(const char *cert_path, unsigned char *fingerprint) {
    FILE *f = fopen(cert_path, "r");
    if (f == NULL) return 0;
    X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    if (cert == NULL) return 0;
    unsigned int n = 0;
    int ok = X509_digest(cert, EVP_sha256(), fingerprint, &n);
    X509_free(cert);
    return ok;
}
#endif
