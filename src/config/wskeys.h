/* The WebSocket keys of a service (protocol, websocket_*), and the relay's
 * command line built from them at load.  Used by config_keys.c and
 * config.c only. */
#ifndef SUPERD_WSKEYS_H
#define SUPERD_WSKEYS_H

#include <stddef.h>

#include "service.h"

/* The relay's program, a shipped helper found beside the handlers. */
#define WSKEYS_RELAY "superd-ws"

/* Setters, as config_keys.h's: 0, or -1 with the reason in why. */
int wskeys_set_protocol(struct service *svc, const char *v, char *why,
    size_t whylen);
int wskeys_set_binary(struct service *svc, const char *v, char *why,
    size_t whylen);
int wskeys_set_origin(struct service *svc, const char *v, char *why,
    size_t whylen);
int wskeys_set_path(struct service *svc, const char *v, char *why,
    size_t whylen);
int wskeys_set_static(struct service *svc, const char *v, char *why,
    size_t whylen);
int wskeys_set_max_message(struct service *svc, const char *v, char *why,
    size_t whylen);

/*
 * Whether svc's keys fit together: websocket_* need protocol = websocket,
 * which needs an accepted stream (wait = no, socket = stream) and a
 * stderr that is not the client (the relay frames the connection).
 * Returns 0, or -1 with the reason in why and the key in *key.
 */
int wskeys_finish(const struct service *svc, enum service_key *key, char *why,
    size_t whylen);

/*
 * For a websocket service with its program resolved (svc->path): finds
 * the relay and a relative websocket_static (a shipped page directory)
 * in or beside handler_dirs, and builds svc->relay_argv.  Nothing for a
 * raw service.  Returns 0, or -1 with the reason in why and the key in
 * *key.
 */
int wskeys_resolve(struct service *svc, const char *const *handler_dirs,
    enum service_key *key, char *why, size_t whylen);

/* Frees what the setters and wskeys_resolve allocated. */
void wskeys_free(struct service *svc);

#endif
