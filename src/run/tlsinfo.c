/* The handshake's outcome as text: the version, cipher and server name
 * agreed, and the client's certificate as the handler may check it
 * (subject, issuer, serial, SHA-256 fingerprint). */
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "tlsinfo.h"

/* name in RFC 2253 form (its escapes keep control bytes out). */
static void
tlsinfo_name(const X509_NAME *name, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	int n;

	buf[0] = '\0';
	if (b == NULL)
		return;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) >= 0 &&
	    (n = BIO_read(b, buf, (int)len - 1)) > 0)
		buf[n] = '\0';
	BIO_free(b);
}

static void
tlsinfo_serial(const X509 *cert, char *buf, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
	char *hex = bn != NULL ? BN_bn2hex(bn) : NULL;

	snprintf(buf, len, "%s", hex != NULL ? hex : "");
	OPENSSL_free(hex);
	BN_free(bn);
}

static void
tlsinfo_sha256(const X509 *cert, char *buf, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	size_t used = 0;

	buf[0] = '\0';
	if (X509_digest(cert, EVP_sha256(), md, &mdlen) != 1)
		return;
	for (i = 0; i < mdlen && used + 3 < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%02X",
		    i == 0 ? "" : ":", md[i]);
}

/* The server name as the client sent it, printable. */
static void
tlsinfo_sni(SSL *ssl, char *buf, size_t len)
{
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	size_t i;

	snprintf(buf, len, "%s", name != NULL ? name : "");
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7e)
			buf[i] = '?';
}

/* Entry k of info, and its pointer at env[k]. */
static void
tlsinfo_put(struct tlsinfo *info, char **env, size_t k, const char *name,
    const char *value)
{
	(void)snprintf(info->entry[k], sizeof(info->entry[k]), "%s=%s", name,
	    value);
	env[k] = info->entry[k];
}

/* The certificate's values; all "" without one. */
static void
tlsinfo_client(SSL *ssl, struct tlsinfo *info)
{
	X509 *cert = SSL_get1_peer_certificate(ssl);

	info->subject[0] = info->issuer[0] = '\0';
	info->serial[0] = info->sha256[0] = '\0';
	if (cert == NULL)
		return;
	tlsinfo_name(X509_get_subject_name(cert), info->subject,
	    sizeof(info->subject));
	tlsinfo_name(X509_get_issuer_name(cert), info->issuer,
	    sizeof(info->issuer));
	tlsinfo_serial(cert, info->serial, sizeof(info->serial));
	tlsinfo_sha256(cert, info->sha256, sizeof(info->sha256));
	X509_free(cert);
}

void
tlsinfo_collect(SSL *ssl, struct tlsinfo *info, char **env, size_t *n)
{
	char **at = env + *n;
	size_t k = 0;

	snprintf(info->version, sizeof(info->version), "%s",
	    SSL_get_version(ssl));
	snprintf(info->cipher, sizeof(info->cipher), "%s",
	    SSL_get_cipher_name(ssl));
	tlsinfo_sni(ssl, info->sni, sizeof(info->sni));
	tlsinfo_client(ssl, info);
	tlsinfo_put(info, at, k++, "TLS_VERSION", info->version);
	tlsinfo_put(info, at, k++, "TLS_CIPHER", info->cipher);
	tlsinfo_put(info, at, k++, "TLS_SNI", info->sni);
	if (info->subject[0] != '\0') {
		tlsinfo_put(info, at, k++, "TLS_CLIENT_SUBJECT", info->subject);
		tlsinfo_put(info, at, k++, "TLS_CLIENT_ISSUER", info->issuer);
		tlsinfo_put(info, at, k++, "TLS_CLIENT_SERIAL", info->serial);
		tlsinfo_put(info, at, k++, "TLS_CLIENT_SHA256", info->sha256);
	}
	at[k] = NULL;
	*n += k;
}
