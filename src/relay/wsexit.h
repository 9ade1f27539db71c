/* superd-ws's exit statuses for an upgrade it refused: no handler ran,
 * and superd counts each as a refusal (refused_websocket_*), not as a
 * handler's exit.  Any other status is the handler's own. */
#ifndef SUPERD_WSEXIT_H
#define SUPERD_WSEXIT_H

#define WSEXIT_INVALID 120 /* not a request, not an upgrade, bad key */
#define WSEXIT_ORIGIN 121  /* Origin not in websocket_origin: 403 */
#define WSEXIT_PATH 122    /* not websocket_path: 404 */
#define WSEXIT_TIMEOUT 123 /* no whole request head in time */
#define WSEXIT_FIRST WSEXIT_INVALID
#define WSEXIT_LAST WSEXIT_TIMEOUT

#endif
