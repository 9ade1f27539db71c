/* TLS contexts: one OpenSSL SSL_CTX per certificate and key pair of each
 * TLS service, made with a generation (at start and at each reload), so
 * that a bad certificate or key fails that load and a reload keeps the
 * running generation's. */
#ifndef SUPERD_TLSCTX_H
#define SUPERD_TLSCTX_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "config.h"

/* A service's contexts: ctx[0] is the default; a client's server name
 * (SNI) picks the first pair whose certificate matches it. */
struct tls_service {
	SSL_CTX *ctx[TLS_PAIRS_MAX];
	size_t n; /* 0: the service has no TLS */
	unsigned long handshake_timeout_ms;
};

struct tlsctx {
	struct tls_service *svc; /* one per service, by index */
	size_t n;
};

/*
 * Makes the contexts of every enabled service of cfg with tls_cert:
 * reads the certificates (a PEM chain each), the keys (unencrypted PEM;
 * each must match its certificate), the client CA bundle, and applies
 * tls_min_version, tls_ciphers and tls_ciphersuites.  Returns 0, or -1
 * with "FILE:LINE: [service] key: what" in err (the line of the pair or
 * key at fault) and t empty.
 */
int tlsctx_build(struct tlsctx *t, const struct config *cfg, char *err,
    size_t errlen);

/* Frees t's contexts; t may be zeroed. */
void tlsctx_free(struct tlsctx *t);

/* tlsctx_build's judgement alone, for -t and the start: 0 or -1 as it. */
int tlsctx_check(const struct config *cfg, char *err, size_t errlen);

#endif
