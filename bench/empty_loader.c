// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * empty_loader OBJ PROG...: open OBJ with libbpf, load it, attach the named
 * programs (bpf_program__attach), print "attached" on stderr and wait for
 * SIGINT/SIGTERM. Unnamed programs are not loaded.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct bpf_link *links[16];
	struct bpf_object *obj;
	struct bpf_program *prog;
	int nlinks = 0, i, err;

	if (argc < 3 || argc - 2 > 16) {
		fprintf(stderr, "usage: empty_loader OBJ PROG...\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "empty_loader: open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, obj) {
		bool wanted = false;

		for (i = 2; i < argc; i++)
			if (!strcmp(bpf_program__name(prog), argv[i]))
				wanted = true;
		bpf_program__set_autoload(prog, wanted);
	}
	err = bpf_object__load(obj);
	if (err) {
		fprintf(stderr, "empty_loader: load: %s\n", strerror(-err));
		return 1;
	}
	for (i = 2; i < argc; i++) {
		prog = bpf_object__find_program_by_name(obj, argv[i]);
		if (!prog) {
			fprintf(stderr, "empty_loader: no program %s\n", argv[i]);
			return 1;
		}
		links[nlinks] = bpf_program__attach(prog);
		if (!links[nlinks]) {
			fprintf(stderr, "empty_loader: attach %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		nlinks++;
	}
	fprintf(stderr, "empty_loader: attached\n");
	while (!stop)
		pause();
	for (i = 0; i < nlinks; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return 0;
}
