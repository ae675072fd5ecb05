# Test suite: `make test` builds everything and runs every suite on the running kernel.
TEST_CFLAGS := -O2 -g -Wall -Wextra -std=gnu11 -Wno-missing-field-initializers -Wno-format-truncation -Iinclude -Isrc -D_GNU_SOURCE
TEST_BINS   := tests/build/swtest tests/build/runcount tests/build/verify_workload tests/build/share_workload \
	       tests/build/http_load

tests/build:
	mkdir -p $@

SWTEST_SRCS := tests/swtest.c tests/swtest_check.c tests/swtest_event.c tests/swtest_counters.c tests/scenarios.c tests/scenarios_race.c \
	       tests/scenario_lib.c tests/scenarios_write.c tests/scenarios_hold.c tests/scenarios_ia32.c
tests/build/swtest: $(SWTEST_SRCS) tests/swtest.h tests/swtest_sw.h tests/scenario_lib.h | tests/build
	$(CC) $(TEST_CFLAGS) $(SWTEST_SRCS) -luring -lpthread -o $@

# tests/suites/verify.sh's workload: the ways of changing held bytes.
VERIFY_WL_SRCS := tests/verify_workload.c tests/verify_crypto.c
tests/build/verify_workload: $(VERIFY_WL_SRCS) tests/verify_workload.h tests/ia32_syscall.h | tests/build
	$(CC) $(TEST_CFLAGS) $(VERIFY_WL_SRCS) -luring -o $@

# tests/nginx-load.sh's clients (verify-load.sh, guest-verify.sh).
tests/build/http_load: tests/http_load.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

# tests/vm/compat-kernel.sh's per-user share workload (built by that script).
tests/build/share_workload: tests/share_workload.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

# tests/vm/skip-stress.sh's workload (not part of make test).
tests/build/skip_stress: tests/skip_stress.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

# tests/vm/guest-runcount.sh's instrument: BPF program runs per N getppid
# (the runcount suite of tests/vm/matrix.sh).
tests/build/runcount: tests/runcount.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

.PHONY: test check test-host mutants arm64-test-bins
# The kernel matrix's arm64 guests run arm64 builds of splicewatch and the
# test programs (unless SW_VMTEST=0 leaves the matrix out).
test check: splicewatch $(TEST_BINS) $(if $(filter 0,$(SW_VMTEST)),,arm64-test-bins)
	bash tests/run-all.sh
arm64-test-bins:
	$(MAKE) ARCH=arm64 all arm64-tests

# Mutation checks of the suites (tests/mutants.sh; not part of make test, about
# 12 minutes): MUTANTS="name ..." selects some.
mutants: splicewatch $(TEST_BINS)
	bash tests/mutants.sh $(MUTANTS)

-include tests/stats.mk
-include tests/ci.mk
-include tests/reliability.mk
-include tests/enforce.mk

# The arm64 test binaries for the arm64 guests of the kernel matrix
# and tests/vm/arm64-stats.sh (`make ARCH=arm64 arm64-tests`; tests/vm/README.md): cross-built against the
# sysroot of the Makefile's ARCH=arm64 block, into tests/build/arm64/.
ifeq ($(ARCH),arm64)
.PHONY: arm64-tests
arm64-tests: tests/build/arm64/swtest tests/build/arm64/ci_workload tests/build/arm64/stats_workload tests/build/arm64/runcount \
	tests/build/arm64/verify_workload
tests/build/arm64:
	mkdir -p $@
tests/build/arm64/swtest: $(SWTEST_SRCS) tests/swtest.h tests/swtest_sw.h tests/scenario_lib.h | tests/build/arm64
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $(SWTEST_SRCS) $(LDFLAGS) -luring -lpthread -o $@
tests/build/arm64/ci_workload: tests/ci_workload.c | tests/build/arm64
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $< $(LDFLAGS) -lpthread -o $@
tests/build/arm64/stats_workload: tests/stats_workload.c | tests/build/arm64
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $< $(LDFLAGS) -o $@
tests/build/arm64/verify_workload: $(VERIFY_WL_SRCS) tests/verify_workload.h tests/ia32_syscall.h | tests/build/arm64
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $(VERIFY_WL_SRCS) $(LDFLAGS) -luring -o $@
tests/build/arm64/runcount: tests/runcount.c | tests/build/arm64
	$(CC) $(CPPFLAGS) $(TEST_CFLAGS) $< $(LDFLAGS) -o $@
endif
