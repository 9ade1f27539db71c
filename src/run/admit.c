/* Admission decisions and the transition log lines: one line when a
 * service (or a source) becomes full or rate limited, one when it stops
 * being so; refusals in between are only counted. */
#include <sys/wait.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "events.h"
#include "log.h"
#include "wsexit.h"

const char *const admit_reason[REFUSALS] = {
	[REFUSE_MAX] = "max",
	[REFUSE_PER_SOURCE] = "per_source",
	[REFUSE_RATE] = "rate",
	[REFUSE_ACL] = "acl",
	[REFUSE_FORK_FAILED] = "fork_failed",
	[REFUSE_PROXY_UNTRUSTED] = "proxy_untrusted",
	[REFUSE_PROXY_TIMEOUT] = "proxy_timeout",
	[REFUSE_PROXY_INVALID] = "proxy_invalid",
	[REFUSE_TLS] = "tls",
	[REFUSE_WEBSOCKET_INVALID] = "websocket_invalid",
	[REFUSE_WEBSOCKET_ORIGIN] = "websocket_origin",
	[REFUSE_WEBSOCKET_PATH] = "websocket_path",
	[REFUSE_WEBSOCKET_TIMEOUT] = "websocket_timeout",
};

const char *const admit_stat_name[STATS] = {
	[STAT_ACCEPTED] = "accepted",
	[STAT_REFUSED + REFUSE_MAX] = "refused_max",
	[STAT_REFUSED + REFUSE_PER_SOURCE] = "refused_per_source",
	[STAT_REFUSED + REFUSE_RATE] = "refused_rate",
	[STAT_REFUSED + REFUSE_ACL] = "refused_acl",
	[STAT_REFUSED + REFUSE_FORK_FAILED] = "refused_fork_failed",
	[STAT_REFUSED + REFUSE_PROXY_UNTRUSTED] = "refused_proxy_untrusted",
	[STAT_REFUSED + REFUSE_PROXY_TIMEOUT] = "refused_proxy_timeout",
	[STAT_REFUSED + REFUSE_PROXY_INVALID] = "refused_proxy_invalid",
	[STAT_REFUSED + REFUSE_TLS] = "refused_tls",
	[STAT_REFUSED + REFUSE_WEBSOCKET_INVALID] = "refused_websocket_invalid",
	[STAT_REFUSED + REFUSE_WEBSOCKET_ORIGIN] = "refused_websocket_origin",
	[STAT_REFUSED + REFUSE_WEBSOCKET_PATH] = "refused_websocket_path",
	[STAT_REFUSED + REFUSE_WEBSOCKET_TIMEOUT] = "refused_websocket_timeout",
	[STAT_PROXY_FULL] = "proxy_full",
	[STAT_EXITED_OK] = "exited_ok",
	[STAT_EXITED_ERROR] = "exited_error",
	[STAT_EXITED_SIGNAL] = "exited_signal",
	[STAT_KILLED] = "killed",
	[STAT_EXEC_FAILED] = "exec_failed",
	[STAT_KILLED_SHUTDOWN] = "killed_shutdown",
};

struct service_state {
	unsigned long active; /* handlers running */
	bool full;            /* at max_connections */
	bool rate_limited;    /* refusing or deferring for rate */
	bool draining;        /* superctl drain: accepts nothing */
	struct bucket bucket; /* for rate */
	unsigned long stat[STATS];
	struct hist durations;     /* of the handlers reaped */
	unsigned long tls_refused; /* failed TLS handshakes in a row */
};

int
admit_init(struct admit *a, const struct config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = cfg;
	a->svc = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*a->svc));
	if (a->svc == NULL)
		return -1;
	if (sources_init(&a->sources, cfg->max_children) == -1) {
		free(a->svc);
		return -1;
	}
	return 0;
}

void
admit_free(struct admit *a)
{
	sources_free(&a->sources);
	free(a->svc);
	a->svc = NULL;
}

/* Keeps state->full and a->all_full in step with the counts, logging
 * each change once. */
static void
admit_update_full(struct admit *a, size_t s)
{
	const struct service *svc = &a->cfg->services[s];
	struct service_state *st = &a->svc[s];
	bool full = st->active >= svc->max_connections;
	bool all = a->total >= a->cfg->max_children;

	/* Once stopping, nothing accepts again: saying so would mislead. */
	if (full != st->full) {
		st->full = full;
		if (!a->stopping)
			event_limit_max(svc->name, full, st->active,
			    svc->on_max);
	}
	if (all != a->all_full) {
		a->all_full = all;
		if (!a->stopping)
			event_limit_children(all, a->total);
	}
}

static void
admit_set_rate_limited(struct admit *a, size_t s, bool limited)
{
	const struct service *svc = &a->cfg->services[s];
	struct service_state *st = &a->svc[s];

	if (limited == st->rate_limited)
		return;
	st->rate_limited = limited;
	event_limit_rate(svc->name, limited, &svc->rate, svc->on_rate);
}

/* An episode of rate limiting ends only when the bucket has filled up
 * again, so a sustained overload logs one line in and one line out, not a
 * pair per token. */
static void
admit_rate_lifted(struct admit *a, size_t s, long long now)
{
	const struct service *svc = &a->cfg->services[s];

	if (a->svc[s].rate_limited &&
	    bucket_full(&a->svc[s].bucket, &svc->rate, now))
		admit_set_rate_limited(a, s, false);
}

bool
admit_open(struct admit *a, size_t s, long long now, long long *wake)
{
	const struct service *svc = &a->cfg->services[s];
	struct service_state *st = &a->svc[s];
	long long at;

	if (a->all_full || st->draining)
		return false;
	if (st->full && svc->on_max == OVERLOAD_DEFER)
		return false;
	if (svc->rate.n == 0 || svc->on_rate != OVERLOAD_DEFER)
		return true;
	/* Deferring for rate: poll the listeners only with a token ready,
	 * so no accepted connection ever has to be refused for it. */
	admit_rate_lifted(a, s, now);
	at = bucket_ready_at(&st->bucket, &svc->rate, now);
	if (at <= now)
		return true;
	admit_set_rate_limited(a, s, true);
	if (*wake == 0 || at < *wake)
		*wake = at;
	return false;
}

static struct admission
admit_refuse(struct admit *a, size_t s, enum refusal why, struct admission ad)
{
	a->svc[s].stat[STAT_REFUSED + why]++;
	ad.ok = false;
	ad.why = why;
	return ad;
}

/* The rate checks: the source's bucket first, so a client already over
 * its own rate does not use up the service's tokens for everyone else. */
static bool
admit_rates(struct admit *a, size_t s, const struct cidr *source, long long now)
{
	const struct service *svc = &a->cfg->services[s];
	struct service_state *st = &a->svc[s];
	struct source *src;

	if (svc->rate_per_source.n != 0) {
		src = sources_get(&a->sources, s, source, &svc->rate_per_source,
		    now);
		/* A table full of other sources lets it through: the
		 * service rate still holds. */
		if (src != NULL &&
		    !bucket_take(&src->bucket, &svc->rate_per_source, now))
			return false;
	}
	if (svc->rate.n == 0)
		return true;
	admit_rate_lifted(a, s, now);
	if (bucket_take(&st->bucket, &svc->rate, now))
		return true;
	admit_set_rate_limited(a, s, true);
	return false;
}

static bool
admit_per_source(struct admit *a, size_t s, const struct cidr *source)
{
	const struct service *svc = &a->cfg->services[s];
	struct source *src;
	char buf[INET6_ADDRSTRLEN + 8];

	if (svc->max_per_source == 0)
		return true;
	src = sources_find(&a->sources, s, source);
	if (src == NULL || src->active < svc->max_per_source)
		return true;
	if (!src->over) {
		src->over = true;
		cidr_format(source, buf, sizeof(buf));
		event_limit_source(svc->name, buf, true, src->active);
	}
	return false;
}

/* The per-source key of a peer: its address cut to the service's prefix;
 * a unix client's uid, or the no-client of a wait service, as it is. */
static struct cidr
admit_source(const struct service *svc, const struct cidr *peer)
{
	struct cidr key = *peer;

	if (peer->family == AF_INET)
		cidr_truncate(&key, svc->source_prefix_v4);
	else if (peer->family == AF_INET6)
		cidr_truncate(&key, svc->source_prefix_v6);
	return key;
}

/* The checks after the access list, the same for every client: the full
 * peer travels with the handler (a reload may cut it to another prefix,
 * admit_adopt). */
static struct admission
admit_limits(struct admit *a, size_t s, const struct cidr *peer, long long now)
{
	const struct service *svc = &a->cfg->services[s];
	struct admission ad;

	memset(&ad, 0, sizeof(ad));
	ad.peer = *peer;
	ad.source = admit_source(svc, peer);
	if (!admit_rates(a, s, &ad.source, now))
		return admit_refuse(a, s, REFUSE_RATE, ad);
	if (a->svc[s].active >= svc->max_connections)
		return admit_refuse(a, s, REFUSE_MAX, ad);
	if (!admit_per_source(a, s, &ad.source))
		return admit_refuse(a, s, REFUSE_PER_SOURCE, ad);
	if (a->total >= a->cfg->max_children)
		return admit_refuse(a, s, REFUSE_MAX, ad);
	ad.ok = true;
	return ad;
}

struct admission
admit_connection(struct admit *a, size_t s, const struct sockaddr *peer,
    long long now)
{
	const struct service *svc = &a->cfg->services[s];
	struct admission ad;
	struct cidr addr;

	memset(&ad, 0, sizeof(ad));
	if (!cidr_from_sockaddr(peer, &addr))
		return admit_refuse(a, s, REFUSE_ACL, ad);
	if (!cidr_allowed(svc->allow, svc->nallow, svc->deny, svc->ndeny,
	        &addr))
		return admit_refuse(a, s, REFUSE_ACL, ad);
	return admit_limits(a, s, &addr, now);
}

static bool
admit_has_id(const unsigned *list, size_t n, unsigned id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (list[i] == id)
			return true;
	return false;
}

/* allow_users and allow_groups: either may let the client in; with
 * neither, everyone may come (the socket file's mode still decides who
 * can connect at all). */
static bool
admit_user_allowed(const struct service *svc, const struct unix_peer *p)
{
	size_t i;

	if (svc->nallow_uids == 0 && svc->nallow_gids == 0)
		return true;
	if (admit_has_id(svc->allow_uids, svc->nallow_uids, p->uid) ||
	    admit_has_id(svc->allow_gids, svc->nallow_gids, p->gid))
		return true;
	for (i = 0; i < p->ngroups; i++)
		if (admit_has_id(svc->allow_gids, svc->nallow_gids,
		        p->groups[i]))
			return true;
	return false;
}

struct admission
admit_connection_unix(struct admit *a, size_t s, const struct unix_peer *p,
    long long now)
{
	struct admission ad;
	struct cidr uid;

	memset(&ad, 0, sizeof(ad));
	if (!admit_user_allowed(&a->cfg->services[s], p))
		return admit_refuse(a, s, REFUSE_ACL, ad);
	cidr_from_uid(p->uid, &uid);
	return admit_limits(a, s, &uid, now);
}

bool
admit_wait(struct admit *a, size_t s, long long now, struct admission *ad)
{
	const struct service *svc = &a->cfg->services[s];
	struct service_state *st = &a->svc[s];

	memset(ad, 0, sizeof(*ad));
	if (st->draining || st->active >= svc->max_connections ||
	    a->total >= a->cfg->max_children)
		return false;
	if (svc->rate.n != 0) {
		admit_rate_lifted(a, s, now);
		if (!bucket_take(&st->bucket, &svc->rate, now)) {
			admit_set_rate_limited(a, s, true);
			return false;
		}
	}
	ad->ok = true;
	return true;
}

unsigned long
admit_started(struct admit *a, size_t s, const struct cidr *source,
    long long now)
{
	struct source *src = sources_get(&a->sources, s, source, NULL, now);

	a->svc[s].active++;
	a->svc[s].stat[STAT_ACCEPTED]++;
	a->total++;
	src->active++;
	admit_update_full(a, s);
	return src->active;
}

static void
admit_log_source_clear(const struct service *svc, const struct cidr *source)
{
	char buf[INET6_ADDRSTRLEN + 8];

	cidr_format(source, buf, sizeof(buf));
	event_limit_source(svc->name, buf, false, 0);
}

void
admit_ended(struct admit *a, size_t s, const struct cidr *source, long long now)
{
	const struct service *svc = &a->cfg->services[s];
	struct source *src = sources_find(&a->sources, s, source);

	a->svc[s].active--;
	a->total--;
	if (src != NULL) {
		src->active--;
		if (src->over && src->active < svc->max_per_source) {
			src->over = false;
			if (!a->stopping)
				admit_log_source_clear(svc, source);
		}
		sources_release(&a->sources, src, now);
	}
	admit_update_full(a, s);
}

void
admit_exited(struct admit *a, size_t s, int status, double seconds)
{
	enum stat_counter st = STAT_EXITED_SIGNAL;

	if (WIFEXITED(status))
		st = WEXITSTATUS(status) == 0 ? STAT_EXITED_OK
		                              : STAT_EXITED_ERROR;
	a->svc[s].stat[st]++;
	hist_observe(&a->svc[s].durations, &hist_duration, seconds);
}

const struct hist *
admit_durations(const struct admit *a, size_t s)
{
	return &a->svc[s].durations;
}

bool
admit_tls_ended(struct admit *a, size_t s, bool refused,
    unsigned long *refused_count)
{
	struct service_state *st = &a->svc[s];

	if (refused) {
		st->stat[STAT_ACCEPTED]--;
		st->stat[STAT_REFUSED + REFUSE_TLS]++;
		return st->tls_refused++ == 0;
	}
	*refused_count = st->tls_refused;
	st->tls_refused = 0;
	return *refused_count > 0;
}

void
admit_stop(struct admit *a)
{
	a->stopping = true;
}

void
admit_fork_failed(struct admit *a, size_t s, const struct cidr *source,
    long long now)
{
	admit_ended(a, s, source, now);
	a->svc[s].stat[STAT_ACCEPTED]--;
	a->svc[s].stat[STAT_REFUSED + REFUSE_FORK_FAILED]++;
}

bool
admit_upgrade_refused(struct admit *a, size_t s, int status)
{
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 0;

	if (a->cfg->services[s].protocol != PROTOCOL_WEBSOCKET ||
	    code < WSEXIT_FIRST || code > WSEXIT_LAST)
		return false;
	a->svc[s].stat[STAT_ACCEPTED]--;
	/* wsexit.h's statuses follow enum refusal's order. */
	a->svc[s].stat[STAT_REFUSED + REFUSE_WEBSOCKET_INVALID +
	    (code - WSEXIT_INVALID)]++;
	return true;
}

void
admit_log_stats(const struct admit *a)
{
	const struct service_state *st;
	char line[STATS * 40];
	size_t i, len;
	int k;

	for (i = 0; i < a->cfg->nservices; i++) {
		st = &a->svc[i];
		len = (size_t)snprintf(line, sizeof(line), "active=%lu",
		    st->active);
		for (k = 0; k < STATS && len < sizeof(line); k++)
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			    " %s=%lu", admit_stat_name[k], st->stat[k]);
		event_stats(a->cfg->services[i].name, line);
	}
}

void
admit_count(struct admit *a, size_t s, enum stat_counter st)
{
	a->svc[s].stat[st]++;
}

unsigned long
admit_stat(const struct admit *a, size_t s, enum stat_counter st)
{
	return a->svc[s].stat[st];
}

unsigned long
admit_active(const struct admit *a, size_t s)
{
	return a->svc[s].active;
}

unsigned long
admit_total(const struct admit *a)
{
	return a->total;
}

bool
admit_full(const struct admit *a, size_t s)
{
	return a->svc[s].full;
}

bool
admit_all_full(const struct admit *a)
{
	return a->all_full;
}

void
admit_set_draining(struct admit *a, size_t s, bool on)
{
	a->svc[s].draining = on;
}

bool
admit_draining(const struct admit *a, size_t s)
{
	return a->svc[s].draining;
}

bool
admit_rate_limited(const struct admit *a, size_t s)
{
	return a->svc[s].rate_limited;
}

void
admit_carry(struct admit *a, const struct admit *old)
{
	long long i;
	size_t j;

	for (j = 0; j < a->cfg->nservices; j++) {
		i = config_find_service(old->cfg, a->cfg->services[j].name);
		if (i == -1)
			continue;
		memcpy(a->svc[j].stat, old->svc[i].stat,
		    sizeof(a->svc[j].stat));
		a->svc[j].durations = old->svc[i].durations;
		a->svc[j].draining = old->svc[i].draining;
		a->svc[j].full = old->svc[i].full;
		a->svc[j].rate_limited = old->svc[i].rate_limited;
		/* A changed rate starts from a full bucket. */
		if (a->cfg->services[j].rate.n ==
		        old->cfg->services[i].rate.n &&
		    a->cfg->services[j].rate.per_ms ==
		        old->cfg->services[i].rate.per_ms)
			a->svc[j].bucket = old->svc[i].bucket;
	}
	a->all_full = old->all_full;
}

struct cidr
admit_adopt(struct admit *a, size_t s, const struct cidr *peer)
{
	struct cidr key = admit_source(&a->cfg->services[s], peer);
	struct source *src = sources_get(&a->sources, s, &key, NULL, 0);

	a->svc[s].active++;
	a->total++;
	src->active++;
	return key;
}

void
admit_settle(struct admit *a)
{
	size_t i;

	for (i = 0; i < a->cfg->nservices; i++)
		admit_update_full(a, i);
}
