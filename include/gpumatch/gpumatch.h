/* gpumatch.h: the whole public API in one include.
 * Link with `pkg-config --cflags --libs gpumatch` or CMake gpumatch::gpumatch. */
#ifndef GPUMATCH_H
#define GPUMATCH_H

#include "gpumatch/libversion.h"
#include "gpumatch/agent.h"
#include "gpumatch/cdi.h"
#include "gpumatch/common.h"
#include "gpumatch/condor_discovery.h"
#include "gpumatch/doc.h"
#include "gpumatch/driverfiles.h"
#include "gpumatch/elfscan.h"
#include "gpumatch/error.h"
#include "gpumatch/export.h"
#include "gpumatch/fatbin.h"
#include "gpumatch/fleet.h"
#include "gpumatch/image.h"
#include "gpumatch/inspect.h"
#include "gpumatch/io.h"
#include "gpumatch/launch.h"
#include "gpumatch/match.h"
#include "gpumatch/node.h"
#include "gpumatch/nvreq.h"
#include "gpumatch/plan.h"
#include "gpumatch/preflight.h"
#include "gpumatch/probe.h"
#include "gpumatch/prove.h"
#include "gpumatch/require.h"
#include "gpumatch/rules.h"
#include "gpumatch/tables.h"
#include "gpumatch/version.h"

#endif
