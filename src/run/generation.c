/* Building, adopting and freeing generations (see generation.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "generation.h"
#include "sig.h"

/* Where each service's listeners are: listen_build keeps them together,
 * service by service. */
static int
generation_index(struct generation *g)
{
	size_t n = g->cfg.nservices ? g->cfg.nservices : 1, i, s;

	g->first = calloc(n, sizeof(*g->first));
	g->count = calloc(n, sizeof(*g->count));
	if (g->first == NULL || g->count == NULL)
		return -1;
	for (i = g->nls; i-- > 0;) {
		s = g->ls[i].service;
		g->first[s] = i;
		g->count[s]++;
	}
	return 0;
}

/* A failed build gives back the passed sockets the old generation runs
 * on: the attempt put them all up for adoption. */
static void
generation_retake(const struct generation *old, struct activation *act)
{
	size_t i;

	for (i = 0; old != NULL && i < old->nls; i++)
		activate_mark(act, old->ls[i].fd, true);
}

struct generation *
generation_make(struct config *cfg, config_stop_fn *stop,
    struct activation *act, struct generation *old, char *err, size_t errlen)
{
	struct listen_old was = { 0 };
	struct generation *g = calloc(1, sizeof(*g));

	if (g == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		config_free(cfg);
		return NULL;
	}
	g->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	if (confine_prepare(&g->confine, &g->cfg, err, errlen) == -1 ||
	    tlsctx_build(&g->tls, &g->cfg, err, errlen) == -1) {
		generation_free(g);
		return NULL;
	}
	if (admit_init(&g->admit, &g->cfg) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		generation_free(g);
		return NULL;
	}
	if (old != NULL) {
		was = (struct listen_old){ old->ls, old->nls, &old->cfg };
		activate_reset(act);
	}
	if (listen_build(&g->cfg, stop, act, old != NULL ? &was : NULL, &g->ls,
	        &g->nls, err, errlen) == -1) {
		generation_retake(old, act);
		generation_free(g);
		return NULL;
	}
	if (generation_index(g) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		generation_free(g);
		return NULL;
	}
	return g;
}

struct generation *
generation_load(const char *file, const char *const *handler_dirs,
    struct activation *act, struct generation *old, char *err, size_t errlen)
{
	struct config cfg;

	if (config_load_until(file, handler_dirs, sig_stop_pending, &cfg, err,
	        errlen) == -1)
		return NULL;
	/* The same rules as at start: a reload is no way around them. */
	if (config_check_privileges(&cfg, geteuid(), getegid(), err, errlen) ==
	    -1) {
		config_free(&cfg);
		return NULL;
	}
	return generation_make(&cfg, sig_stop_pending, act, old, err, errlen);
}

/* Running handlers follow their service, by name, into next; one whose
 * service is gone runs on, counted nowhere. */
static void
generation_rehome(struct generation *next, struct children *kids)
{
	struct child *c;
	long long idx;
	size_t i;

	for (i = 0; i < kids->n; i++) {
		c = &kids->v[i];
		idx = config_find_service(&next->cfg, c->name);
		if (idx == -1 || !next->cfg.services[idx].enabled) {
			c->service = CHILD_NO_SERVICE;
			continue;
		}
		c->service = (size_t)idx;
		c->source = admit_adopt(&next->admit, c->service, &c->peer);
	}
	admit_settle(&next->admit);
}

void
generation_adopt(struct generation *next, struct generation *old,
    struct children *kids, struct activation *act)
{
	size_t i;

	for (i = 0; i < next->nls; i++)
		next->ls[i].polled = false;
	admit_carry(&next->admit, &old->admit);
	generation_rehome(next, kids);
	generation_free(old);
	activate_release(act);
}

void
generation_free(struct generation *g)
{
	if (g == NULL)
		return;
	if (g->ls != NULL)
		listen_close_all(g->ls, g->nls);
	admit_free(&g->admit);
	confine_free(&g->confine);
	tlsctx_free(&g->tls);
	config_free(&g->cfg);
	free(g->first);
	free(g->count);
	free(g);
}
