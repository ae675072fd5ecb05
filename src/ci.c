// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch ci: run a command under watch and fail it on unsafe writes. */
#include "sw.h"

int cmd_ci(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	sw_err("ci: not implemented yet");
	return SW_EXIT_USAGE;
}
