/* The keys of the configuration file: one table per kind of section, one
 * setter per key.  Used by config.c only. */
#ifndef SUPERD_CONFIG_KEYS_H
#define SUPERD_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "service.h"

struct service_key_info {
	const char *name;
	enum service_key key;
	bool repeatable; /* each line adds to a list */
	bool no_default; /* cannot be set in [defaults] */
	/* Parses value into svc; 0, or -1 with the reason in why. */
	int (*set)(struct service *svc, const char *value, char *why,
	    size_t whylen);
};

/* The service key called name, or NULL. */
const struct service_key_info *keys_find_service(const char *name);

/* The name of key, for messages. */
const char *keys_service_name(enum service_key key);

/* Fills the defaults of every optional service key. */
void keys_init_service(struct service *svc);

/* Frees what the setters allocated in svc. */
void keys_free_service(struct service *svc);

/*
 * For a key whose setter asks the user and group databases (user,
 * group): gives dst what the setter made of the same value in src, without
 * asking again; 100,000 services inheriting `user` from [defaults] asked
 * 100,000 times.  Returns 1 if it did, 0 if key is not one of those (run
 * its setter), or -1 with errno ENOMEM.
 */
int keys_copy_lookup(struct service *dst, const struct service *src,
    enum service_key key);

/*
 * Completes svc once every key, its own and inherited, is set: the gid
 * (`group`, else the user's primary group), the supplementary groups of
 * `supplementary_groups = user` (from the group database, now, so the
 * child asks NSS nothing; copied from prev, the service completed before,
 * when it has the same user and gid), and the pass_env values from
 * superd's environment appended to env.  prev may be NULL.  Returns 0, or
 * -1 with the reason in why and the key it concerns in *key.
 */
int keys_finish_service(struct service *svc, const struct service *prev,
    enum service_key *key, char *why, size_t whylen);

/* Adds one address to svc's binds ("0.0.0.0" for the default). */
int keys_add_bind(struct service *svc, const char *addr, char *why,
    size_t whylen);

enum supervisor_key {
	SKEY_SHUTDOWN_TIMEOUT,
	SKEY_MAX_CHILDREN,
	SKEY_LOG_FORMAT,
	SKEY_METRICS,
	SKEY_CONTROL,
	SKEY_CONTROL_GROUP,
	SKEYS
};

/* The [supervisor] key called name, or -1. */
int keys_find_supervisor(const char *name);

/* Parses value for [supervisor] key k into cfg. */
int keys_set_supervisor(struct config *cfg, int k, const char *value, char *why,
    size_t whylen);

/* The name of [supervisor] key k, or NULL. */
const char *keys_supervisor_name(int k);

/* How many service keys there are, and the name of the i-th (NULL past
 * the end): the table is the one list of keys. */
size_t keys_count_service(void);
const char *keys_service_at(size_t i);

/* Every key name, ", "-separated, into buf: for "unknown key" messages. */
void keys_service_names(char *buf, size_t len);
void keys_supervisor_names(char *buf, size_t len);

/* Room for either list. */
#define KEYS_NAMES_MAX 1024

/* How many edits make typed into name (case ignored), or KEYS_FAR when
 * they are too far apart to be a slip: more than 2 edits, or more than
 * one per two letters of typed. */
#define KEYS_FAR ((size_t)-1)
size_t keys_near(const char *typed, const char *name);

/*
 * The key of either table nearest to typed, exact matches included, or
 * NULL when none is near (keys_near); *supervisor then says whether it is
 * a [supervisor] key.  For "did you mean" in an unknown-key message.
 */
const char *keys_suggest(const char *typed, bool *supervisor);

#endif
