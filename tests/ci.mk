# The ci suite's workload (tests/suites/ci.sh).
tests/build/ci_workload: tests/ci_workload.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -lpthread -o $@

TEST_BINS += tests/build/ci_workload
# Prerequisites are read where a rule stands: name it here too, in case this file
# is included after the test rule.
test check: tests/build/ci_workload
