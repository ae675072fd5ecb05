# The stats/top suite's workload generator (tests/suites/stats.sh).
tests/build/stats_workload: tests/stats_workload.c | tests/build
	$(CC) $(TEST_CFLAGS) $< -o $@

TEST_BINS += tests/build/stats_workload
# Prerequisites are read where a rule stands: name it here too, in case this file
# is included after the test rule.
test check: tests/build/stats_workload
