// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * empty_loader OBJ PROG...: open OBJ with libbpf, load it, attach the named
 * programs (bpf_program__attach), print "attached" on stderr and wait for
 * SIGINT/SIGTERM. Unnamed programs are not loaded. SIGUSR1 detaches them,
 * SIGUSR2 attaches them again, and the sender gets SIGUSR1 back once done:
 * the protocol of splicewatch's SPLICEWATCH_BENCH_TOGGLE (swbench ab).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop, toggle_want, toggle_from;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void on_toggle(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	toggle_want = sig == SIGUSR1 ? 1 : 2;
	toggle_from = si->si_pid;
}

/* Attaches (or with links NULL'ed, re-attaches) the named programs. */
static int attach_all(struct bpf_object *obj, char **names, int n, struct bpf_link **links)
{
	for (int i = 0; i < n; i++) {
		struct bpf_program *prog = bpf_object__find_program_by_name(obj, names[i]);

		if (!prog) {
			fprintf(stderr, "empty_loader: no program %s\n", names[i]);
			return -1;
		}
		links[i] = bpf_program__attach(prog);
		if (!links[i]) {
			fprintf(stderr, "empty_loader: attach %s: %s\n", names[i], strerror(errno));
			return -1;
		}
	}
	return 0;
}

static void detach_all(struct bpf_link **links, int n)
{
	for (int i = 0; i < n; i++) {
		bpf_link__destroy(links[i]);
		links[i] = NULL;
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_toggle, .sa_flags = SA_SIGINFO };
	struct bpf_link *links[64] = {};
	sigset_t block, old;
	struct bpf_object *obj;
	struct bpf_program *prog;
	int nlinks, i, err;

	if (argc < 3 || argc - 2 > 64) {
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
	nlinks = argc - 2;
	if (attach_all(obj, argv + 2, nlinks, links))
		return 1;
	fprintf(stderr, "empty_loader: attached\n");
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* Blocked but in sigsuspend: none lost between the check and the wait. */
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGUSR2);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	while (!stop) {
		if (!toggle_want)
			sigsuspend(&old);
		if (!toggle_want)
			continue;
		detach_all(links, nlinks);
		if (toggle_want == 2 && attach_all(obj, argv + 2, nlinks, links))
			return 1;
		toggle_want = 0;
		if (toggle_from > 0)
			kill(toggle_from, SIGUSR1);
	}
	detach_all(links, nlinks);
	bpf_object__close(obj);
	return 0;
}
