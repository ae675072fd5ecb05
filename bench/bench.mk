# `make bench`: the cost of watching, measured side by side (bench/run.sh).
BENCH_OUT    := bench/build
BENCH_CFLAGS := -O2 -g -Wall -Wextra -std=gnu11
BENCH_BINS   := $(BENCH_OUT)/swbench $(BENCH_OUT)/empty_loader $(BENCH_OUT)/empty.bpf.o
BENCH_LIBS   := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf) -lelf -lz

$(BENCH_OUT):
	mkdir -p $@

$(BENCH_OUT)/swbench: bench/swbench.c | $(BENCH_OUT)
	$(CC) $(BENCH_CFLAGS) $< -o $@

$(BENCH_OUT)/empty_loader: bench/empty_loader.c | $(BENCH_OUT)
	$(CC) $(BENCH_CFLAGS) $< $(BENCH_LIBS) -o $@

# Same flags as the programs in bpf/ (kept out of bpf/: everything there is built into splicewatch).
$(BENCH_OUT)/empty.bpf.o: bench/empty.bpf.c vmlinux/$(ARCH)/vmlinux.h | $(BENCH_OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

.PHONY: bench bench-build bench-clean
bench-build: splicewatch $(BENCH_BINS)

bench: bench-build
	bash bench/deps.sh
	bash bench/run.sh

bench-clean:
	rm -rf $(BENCH_OUT)
