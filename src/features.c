// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* splicewatch features: what this kernel offers and what splicewatch will use. */
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "sw.h"

int cmd_features(int argc, char **argv)
{
	struct utsname u;

	(void)argc;
	(void)argv;
	uname(&u);
	printf("kernel: %s\n", u.release);
	printf("btf: %s\n", access("/sys/kernel/btf/vmlinux", R_OK) ? "no" : "yes");
	return 0;
}
