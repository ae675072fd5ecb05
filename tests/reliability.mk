# The reliability suite's workload (tests/suites/reliability.sh).
tests/build/reliability_workload: tests/reliability_workload.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

TEST_BINS += tests/build/reliability_workload
# Prerequisites are read where a rule stands: name it here too, in case this file
# is included after the test rule.
test check: tests/build/reliability_workload
