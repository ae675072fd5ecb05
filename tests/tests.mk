# Test suite: `make test` builds everything and runs every suite on the running kernel.
TEST_CFLAGS := -O2 -g -Wall -Wextra -std=gnu11 -Wno-missing-field-initializers -Wno-format-truncation -Iinclude -Isrc -D_GNU_SOURCE
TEST_BINS   := tests/build/swtest

tests/build:
	mkdir -p $@

tests/build/swtest: tests/swtest.c tests/swtest.h tests/scenarios.c src/json.c | tests/build
	$(CC) $(TEST_CFLAGS) tests/swtest.c tests/scenarios.c -luring -lpthread -o $@

# tests/vm/skip-stress.sh's workload (not part of make test).
tests/build/skip_stress: tests/skip_stress.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

.PHONY: test check test-host mutants
test check: splicewatch $(TEST_BINS)
	bash tests/run-all.sh

# Mutation checks of the suites (tests/mutants.sh; not part of make test, about
# 12 minutes): MUTANTS="name ..." selects some.
mutants: splicewatch $(TEST_BINS)
	bash tests/mutants.sh $(MUTANTS)

-include tests/stats.mk
-include tests/ci.mk
-include tests/reliability.mk
-include tests/enforce.mk
