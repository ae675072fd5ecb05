# The enforce suite's workload (tests/suites/enforce.sh).
tests/build/enforce_workload: tests/enforce_workload.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -lpthread -o $@

TEST_BINS += tests/build/enforce_workload
# Prerequisites are read where a rule stands: name it here too, in case this file
# is included after the test rule.
test check: tests/build/enforce_workload
