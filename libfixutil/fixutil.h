/*
 * fixutil.h -- the umbrella header of libfixutil.
 *
 * Each module has its own header, which says who owns what; this one only
 * includes them in dependency order.
 */
#ifndef FIXUTIL_H
#define FIXUTIL_H

#include "fixlimits.h"
#include "err.h"
#include "buf.h"
#include "codec.h"
#include "dict.h"
#include "text.h"
#include "cfg.h"
#include "store.h"
#include "lease.h"
#include "schedule.h"
#include "session.h"
#include "engine.h"

#endif
