/*
 * demo.h - the demonstration trust center that kakuin init --demo creates:
 * organizations in every status, with domains proven (provenance "demo").
 */
#ifndef KN_REGISTRY_DEMO_H
#define KN_REGISTRY_DEMO_H

#include "base/err.h"

struct kn_db;

/* Adds the demo organizations; actor names who did it in the audit log. */
int	kn_demo_registry(struct kn_db *db, const char *actor) KN_WUR;

#endif
