/* A generation: everything one configuration makes run, built aside and
 * swapped in whole.  The configuration, the admission state, the
 * listeners and the index from services to listeners belong together: a
 * reload builds the next generation beside the running one (keeping the
 * running sockets of unchanged addresses), lets it adopt the running
 * handlers, and then replaces the old one in one assignment.  Nothing of
 * the old one is touched until the new one is whole. */
#ifndef SUPERD_GENERATION_H
#define SUPERD_GENERATION_H

#include <stddef.h>

#include "activate.h"
#include "admit.h"
#include "children.h"
#include "config.h"
#include "confine.h"
#include "listen.h"
#include "tlsctx.h"

struct generation {
	struct config cfg;
	struct admit admit; /* its cfg points at cfg above */
	struct listener *ls;
	size_t nls;
	size_t *first, *count;  /* service s has ls[first[s]..+count[s]] */
	struct confine confine; /* each service's plan, by index */
	struct tlsctx tls;      /* each service's TLS contexts, by index */
};

/*
 * Makes a generation of cfg (moved in: *cfg is empty afterwards, also on
 * failure, when it is freed): admission state, and listeners taken from
 * act, kept from old (NULL at start) or opened; stop (or NULL), asked
 * while the listeners are made, cuts it short.  Returns it, or NULL with
 * the reason in err; then nothing changed in old or act.
 */
struct generation *generation_make(struct config *cfg, config_stop_fn *stop,
    struct activation *act, struct generation *old, char *err, size_t errlen);

/*
 * A reload: loads file by the same rules as at start (privileges
 * included; a stop signal cuts it short) and makes a generation of it.
 * Returns it, or NULL with the reason in err and nothing changed.
 */
struct generation *generation_load(const char *file,
    const char *const *handler_dirs, struct activation *act,
    struct generation *old, char *err, size_t errlen);

/*
 * next takes over from old: counters, state and rate buckets of the
 * services that keep their name, and the running handlers in kids (a
 * handler whose service is gone runs on, counted nowhere).  Then old's
 * listeners that next did not keep are closed, the passed sockets no
 * service took are released, and old is freed.
 */
void generation_adopt(struct generation *next, struct generation *old,
    struct children *kids, struct activation *act);

/* Closes what listeners g still holds and frees it; NULL is fine. */
void generation_free(struct generation *g);

#endif
