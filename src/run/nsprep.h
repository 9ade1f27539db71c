/* The namespaces a service's handlers join (private_tmp, protect_system,
 * read_write_paths, protect_home, private_network): built once per
 * generation by a short-lived helper process, kept as descriptors, and
 * entered by each child with setns. */
#ifndef SUPERD_NSPREP_H
#define SUPERD_NSPREP_H

#include <stdbool.h>
#include <stddef.h>

#include "service.h"

/* Whether svc asks for a mount namespace, or a network one. */
bool nsprep_wants_mount(const struct service *svc);
bool nsprep_wants_net(const struct service *svc);

/*
 * Builds what svc asks for: a mount namespace (*mntfd) with its own empty
 * /tmp and /var/tmp (private_tmp), /usr, /boot and /etc read-only
 * (protect_system = full) or everything but /dev, /proc, /sys, the
 * private /tmp and the read_write_paths read-only (strict), /home, /root
 * and /run/user empty or read-only (protect_home); and a network
 * namespace with only lo, up (*netfd).  Each is -1 when not asked for;
 * both descriptors are close-on-exec.  Host mounts made later reach the
 * namespace (slave propagation).  Returns 0, or -1 with the key that
 * could not be done in *key and why in why.
 */
int nsprep_build(const struct service *svc, int *mntfd, int *netfd,
    enum service_key *key, char *why, size_t whylen);

#endif
