/* The OpenSSL contexts of the TLS services, built with each generation:
 * every file is read and judged here, so a bad one fails the load that
 * read it, with the line that named it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "tlsctx.h"

/* OpenSSL's reason for the last failure, and its queue cleared. */
static const char *
tlsctx_reason(char *buf, size_t len)
{
	unsigned long e = ERR_peek_last_error();

	if (e == 0)
		snprintf(buf, len, "unknown OpenSSL error");
	else
		ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

/* An encrypted key would make OpenSSL ask the terminal: it fails
 * instead. */
static int
tlsctx_no_password(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* SNI: the first pair whose certificate names the server the client
 * asked for; none, or no name: the default, ctx[0]. */
static int
tlsctx_servername(SSL *ssl, int *alert, void *arg)
{
	const struct tls_service *ts = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t i;

	(void)alert;
	if (name == NULL)
		return SSL_TLSEXT_ERR_OK;
	for (i = 0; i < ts->n; i++) {
		if (X509_check_host(SSL_CTX_get0_certificate(ts->ctx[i]), name,
		        strlen(name), 0, NULL) != 1)
			continue;
		if (i > 0 && SSL_set_SSL_CTX(ssl, ts->ctx[i]) == NULL)
			return SSL_TLSEXT_ERR_ALERT_FATAL;
		break;
	}
	return SSL_TLSEXT_ERR_OK;
}

/* Versions, ciphers and the context's fixed settings. */
static int
tlsctx_settings(SSL_CTX *ctx, const struct config *cfg,
    const struct service *svc, char *err, size_t errlen)
{
	char why[256];
	int min = svc->tls_min_version == 3 ? TLS1_3_VERSION : TLS1_2_VERSION;

	/* A client may not renegotiate (a cheap way to make the server
	 * work); a client that just closes its side (a TCP FIN without
	 * close_notify) is at its end of input, as over plain TCP. */
	SSL_CTX_set_options(ctx,
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_mode(ctx,
	    SSL_MODE_ENABLE_PARTIAL_WRITE |
	        SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_default_passwd_cb(ctx, tlsctx_no_password);
	if (SSL_CTX_set_min_proto_version(ctx, min) != 1)
		return config_key_error(cfg, svc, KEY_TLS_MIN_VERSION, err,
		    errlen, "%s", tlsctx_reason(why, sizeof(why)));
	/* Resumed sessions must come from this service's own. */
	if (SSL_CTX_set_session_id_context(ctx,
	        (const unsigned char *)svc->name, strlen(svc->name)) != 1)
		return config_key_error(cfg, svc, KEY_TLS_CERT, err, errlen,
		    "%s", tlsctx_reason(why, sizeof(why)));
	if (svc->tls_ciphers != NULL &&
	    SSL_CTX_set_cipher_list(ctx, svc->tls_ciphers) != 1)
		return config_key_error(cfg, svc, KEY_TLS_CIPHERS, err, errlen,
		    "\"%s\": no cipher OpenSSL knows (%s)", svc->tls_ciphers,
		    tlsctx_reason(why, sizeof(why)));
	if (svc->tls_ciphersuites != NULL &&
	    SSL_CTX_set_ciphersuites(ctx, svc->tls_ciphersuites) != 1)
		return config_key_error(cfg, svc, KEY_TLS_CIPHERSUITES, err,
		    errlen, "\"%s\": not a TLS 1.3 cipher suite list (%s)",
		    svc->tls_ciphersuites, tlsctx_reason(why, sizeof(why)));
	return 0;
}

/* tls_client_ca: a client must show a certificate that this bundle's
 * authorities signed, and is told their names. */
static int
tlsctx_client_ca(SSL_CTX *ctx, const struct config *cfg,
    const struct service *svc, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) * names;
	char why[256];

	if (svc->tls_client_ca == NULL)
		return 0;
	if (SSL_CTX_load_verify_locations(ctx, svc->tls_client_ca, NULL) != 1 ||
	    (names = SSL_load_client_CA_file(svc->tls_client_ca)) == NULL)
		return config_key_error(cfg, svc, KEY_TLS_CLIENT_CA, err,
		    errlen, "%s: no certificate could be read (%s)",
		    svc->tls_client_ca, tlsctx_reason(why, sizeof(why)));
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx,
	    SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return 0;
}

/* Pair i's certificate chain and its key, which must match. */
static int
tlsctx_pair(SSL_CTX *ctx, const struct config *cfg, const struct service *svc,
    size_t i, char *err, size_t errlen)
{
	char why[256];

	if (SSL_CTX_use_certificate_chain_file(ctx, svc->tls_certs[i]) != 1)
		return config_line_error(cfg, svc, KEY_TLS_CERT,
		    svc->tls_cert_line[i], err, errlen,
		    "%s: not a PEM certificate (%s)", svc->tls_certs[i],
		    tlsctx_reason(why, sizeof(why)));
	if (SSL_CTX_use_PrivateKey_file(ctx, svc->tls_keys[i],
	        SSL_FILETYPE_PEM) != 1)
		return config_line_error(cfg, svc, KEY_TLS_KEY,
		    svc->tls_key_line[i], err, errlen,
		    "%s: not an unencrypted PEM key, or not the key of %s (%s)",
		    svc->tls_keys[i], svc->tls_certs[i],
		    tlsctx_reason(why, sizeof(why)));
	if (SSL_CTX_check_private_key(ctx) != 1)
		return config_line_error(cfg, svc, KEY_TLS_KEY,
		    svc->tls_key_line[i], err, errlen,
		    "%s is not the key of %s (%s)", svc->tls_keys[i],
		    svc->tls_certs[i], tlsctx_reason(why, sizeof(why)));
	return 0;
}

static int
tlsctx_service(struct tls_service *ts, const struct config *cfg,
    const struct service *svc, char *err, size_t errlen)
{
	SSL_CTX *ctx;
	size_t i;

	ts->handshake_timeout_ms = svc->tls_handshake_timeout_ms;
	for (i = 0; i < svc->ntls_certs; i++) {
		if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL)
			return config_key_error(cfg, svc, KEY_TLS_CERT, err,
			    errlen, "cannot make a TLS context: out of memory");
		ts->ctx[ts->n++] = ctx;
		if (tlsctx_settings(ctx, cfg, svc, err, errlen) == -1 ||
		    tlsctx_client_ca(ctx, cfg, svc, err, errlen) == -1 ||
		    tlsctx_pair(ctx, cfg, svc, i, err, errlen) == -1)
			return -1;
	}
	if (ts->n > 1) {
		SSL_CTX_set_tlsext_servername_callback(ts->ctx[0],
		    tlsctx_servername);
		SSL_CTX_set_tlsext_servername_arg(ts->ctx[0], ts);
	}
	return 0;
}

int
tlsctx_build(struct tlsctx *t, const struct config *cfg, char *err,
    size_t errlen)
{
	const struct service *svc;
	size_t i;

	t->n = cfg->nservices;
	if ((t->svc = calloc(t->n ? t->n : 1, sizeof(*t->svc))) == NULL) {
		snprintf(err, errlen, "%s: TLS contexts: out of memory",
		    cfg->file);
		t->n = 0;
		return -1;
	}
	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		if (!svc->enabled || svc->ntls_certs == 0)
			continue;
		if (tlsctx_service(&t->svc[i], cfg, svc, err, errlen) == -1) {
			tlsctx_free(t);
			return -1;
		}
	}
	return 0;
}

void
tlsctx_free(struct tlsctx *t)
{
	size_t i, k;

	for (i = 0; i < t->n; i++)
		for (k = 0; k < t->svc[i].n; k++)
			SSL_CTX_free(t->svc[i].ctx[k]);
	free(t->svc);
	t->svc = NULL;
	t->n = 0;
}

int
tlsctx_check(const struct config *cfg, char *err, size_t errlen)
{
	struct tlsctx t;

	if (tlsctx_build(&t, cfg, err, errlen) == -1)
		return -1;
	tlsctx_free(&t);
	return 0;
}
