/* What a TLS handshake agreed, as the handler's TLS_* variables and the
 * `tls` log line. */
#ifndef SUPERD_TLSINFO_H
#define SUPERD_TLSINFO_H

#include <stddef.h>

#include <openssl/ssl.h>

/* The variables: TLS_VERSION, TLS_CIPHER, TLS_SNI, and with a client
 * certificate TLS_CLIENT_SUBJECT, TLS_CLIENT_ISSUER, TLS_CLIENT_SERIAL,
 * TLS_CLIENT_SHA256. */
#define TLSINFO_VARS 7
/* One value's room; a longer subject or issuer is cut. */
#define TLSINFO_VALUE_MAX 512

struct tlsinfo {
	char version[32];
	char cipher[64];
	char sni[256]; /* "": the client named no server */
	/* The client's certificate; subject[0] == '\0': none. */
	char subject[TLSINFO_VALUE_MAX];
	char issuer[TLSINFO_VALUE_MAX];
	char serial[96];  /* hex, as `openssl x509 -serial` */
	char sha256[100]; /* AB:CD:..., as `openssl x509 -fingerprint` */
	/* "NAME=value" entries for spawn_conn.extra_env. */
	char entry[TLSINFO_VARS][TLSINFO_VALUE_MAX + 24];
};

/*
 * Fills info from ssl after its handshake: the values (a subject and
 * issuer in RFC 2253 form; bytes that are not printable ASCII in the
 * server name become '?'), then the entries.  Appends pointers to the
 * entries at env[*n], advancing *n by at most TLSINFO_VARS (env must have
 * the room) and NULL-ending env.
 */
void tlsinfo_collect(SSL *ssl, struct tlsinfo *info, char **env, size_t *n);

#endif
