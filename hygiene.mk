# Hygiene: sanitizer build, static analysis, fuzzing and the long soak (docs/reliability.md).
#
#   make asan                  build-asan/splicewatch: the frontend with
#                              -fsanitize=address,undefined (BPF objects and skeletons
#                              are the normal ones, from build/)
#   make cppcheck              cppcheck over src/, fails on any finding
#   make fuzz [FUZZ_SECONDS=N] build the libFuzzer targets in fuzz/ and run each for N s
#   make fuzz-build            only build them (fuzz/build/)
#   make soak [SOAK_SECONDS=N] the stress-ng load test for N s (default 120) under
#                              trace and under enforce (root; not part of `make test`)
#
# tests/suites/reliability.sh runs asan, cppcheck and fuzz (and valgrind) itself.

ASAN_OUT      := build-asan
ASAN_CFLAGS   := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                 -fno-sanitize-recover=undefined \
                 -Wall -Wextra -Werror=implicit-function-declaration -std=gnu11 \
                 -Iinclude -I$(OUT) -Isrc -DSW_VERSION='"$(VERSION)"'
ASAN_LIBS      = $(LIBS)
ASAN_OBJS      = $(patsubst src/%.c,$(ASAN_OUT)/%.o,$(wildcard src/*.c))

FUZZ_SECONDS  ?= 20
FUZZ_CC       ?= clang
FUZZ_OUT      := fuzz/build
FUZZ_CFLAGS   := -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                 -std=gnu11 -Iinclude -I$(OUT) -Isrc -DSW_VERSION='"$(VERSION)"' \
                 -Wno-unused-function
FUZZ_TARGETS   = $(FUZZ_OUT)/fuzz_json $(FUZZ_OUT)/fuzz_ci_baseline $(FUZZ_OUT)/fuzz_policy

SOAK_SECONDS  ?= 120

.PHONY: asan cppcheck fuzz fuzz-build soak hygiene-clean

$(ASAN_OUT):
	mkdir -p $@

$(ASAN_OUT)/%.o: src/%.c $(HDRS) $(SKELS) | $(ASAN_OUT)
	$(CC) $(ASAN_CFLAGS) -c $< -o $@

$(ASAN_OUT)/splicewatch: $(ASAN_OBJS)
	$(CC) $(ASAN_CFLAGS) $^ $(ASAN_LIBS) -o $@

asan: $(ASAN_OUT)/splicewatch

cppcheck:
	cppcheck --quiet --enable=warning,performance,portability --error-exitcode=1 \
		--inline-suppr -D__x86_64__ --include=/usr/include/bpf/libbpf_common.h -Iinclude -Isrc src/

$(FUZZ_OUT):
	mkdir -p $@

# JSON writer: json.c alone.
$(FUZZ_OUT)/fuzz_json: fuzz/fuzz_json.c src/json.c src/json.h | $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) fuzz/fuzz_json.c src/json.c -o $@

# Each target links the sources it tests and what they call, nothing that loads BPF.
FUZZ_CI_SRCS     = src/ci_baseline.c src/common.c src/names.c
FUZZ_POLICY_SRCS = src/policy.c src/common.c src/aggregate.c

# ci baseline format (src/ci_baseline.c).
$(FUZZ_OUT)/fuzz_ci_baseline: fuzz/fuzz_ci_baseline.c $(FUZZ_CI_SRCS) $(HDRS) | $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) fuzz/fuzz_ci_baseline.c $(FUZZ_CI_SRCS) -o $@

# enforce policy parser (src/policy.c; policy_parse needs libyaml).
$(FUZZ_OUT)/fuzz_policy: fuzz/fuzz_policy.c $(FUZZ_POLICY_SRCS) $(HDRS) | $(FUZZ_OUT)
	$(FUZZ_CC) $(FUZZ_CFLAGS) fuzz/fuzz_policy.c $(FUZZ_POLICY_SRCS) -lyaml -o $@

fuzz-build: $(FUZZ_TARGETS)

# Each target runs for FUZZ_SECONDS from its seed corpus (fuzz/corpus/NAME, copied so
# that the checked-in seeds are not modified); a crash leaves fuzz/build/crash-*.
fuzz: fuzz-build
	@set -e; for t in $(FUZZ_TARGETS); do \
		n=$$(basename $$t); \
		rm -rf $(FUZZ_OUT)/corpus-$$n; mkdir -p $(FUZZ_OUT)/corpus-$$n; \
		if [ -d fuzz/corpus/$$n ]; then cp fuzz/corpus/$$n/* $(FUZZ_OUT)/corpus-$$n/ 2>/dev/null || true; fi; \
		echo "fuzz: $$n for $(FUZZ_SECONDS)s"; \
		$$t -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
			-print_final_stats=1 -close_fd_mask=2 -artifact_prefix=$(FUZZ_OUT)/crash-$$n- \
			$(FUZZ_OUT)/corpus-$$n >$(FUZZ_OUT)/$$n.log 2>&1 || \
			{ echo "fuzz: $$n FAILED:"; grep -E 'ERROR|SUMMARY|runtime error|Test unit written|fuzz_' $(FUZZ_OUT)/$$n.log | head -20; exit 1; }; \
		grep -E '^stat::number_of_executed_units|^Done' $(FUZZ_OUT)/$$n.log | tail -2 | sed "s/^/fuzz: $$n: /"; \
	done

soak: splicewatch
	RELIABILITY_STRESS_SECONDS=$(SOAK_SECONDS) bash tests/suites/reliability.sh --only load

hygiene-clean:
	rm -rf $(ASAN_OUT) $(FUZZ_OUT)
