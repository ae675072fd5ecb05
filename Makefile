# splicewatch: see README.md
VERSION    := 0.1.0
PREFIX     ?= /usr/local
DESTDIR    ?=
BINDIR     := $(PREFIX)/sbin
MANDIR     := $(PREFIX)/share/man/man8
# systemd reads units from /usr/local/lib/systemd/system too; the Debian
# package sets UNITDIR=/lib/systemd/system (bookworm's place for them).
UNITDIR    ?= $(PREFIX)/lib/systemd/system
COMPLDIR   ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc

CC         ?= cc
CLANG      ?= clang
BPFTOOL    ?= bpftool
LLVM_STRIP ?= llvm-strip
# ARCH=arm64 cross-builds for aarch64 (docs/testing.md): gcc-aarch64-linux-gnu,
# vmlinux/arm64/vmlinux.h, and Debian's arm64 libraries unpacked into a sysroot
# by scripts/arm64-sysroot.sh; its objects and binary go to build/arm64/.
ARCH       := x86
ifeq ($(ARCH),arm64)
OUT        := build/arm64
SW_BIN     := $(OUT)/splicewatch
ifeq ($(origin CC),default)
CC         := aarch64-linux-gnu-gcc
endif
ARM64_SYSROOT ?= $(shell scripts/arm64-sysroot.sh)
ifeq ($(ARM64_SYSROOT),)
$(error ARCH=arm64: no arm64 sysroot (scripts/arm64-sysroot.sh said why, above))
endif
ARM64_LIBDIR  := $(ARM64_SYSROOT)/usr/lib/aarch64-linux-gnu
# Headers and libraries of the sysroot; the C library is the cross compiler's own.
CPPFLAGS   += -I$(ARM64_SYSROOT)/usr/include
LDFLAGS    += -L$(ARM64_LIBDIR) -L$(ARM64_SYSROOT)/lib/aarch64-linux-gnu \
              -Wl,-rpath-link=$(ARM64_LIBDIR):$(ARM64_SYSROOT)/lib/aarch64-linux-gnu
LIBBPF_A   ?= $(ARM64_LIBDIR)/libbpf.a
else ifeq ($(ARCH),x86)
OUT        := build
SW_BIN     := splicewatch
else
$(error ARCH=$(ARCH): x86 or arm64)
endif

CFLAGS     ?= -O2 -g
CFLAGS     += -Wall -Wextra -Werror=implicit-function-declaration -std=gnu11 \
              -Iinclude -I$(OUT) -Isrc -DSW_VERSION='"$(VERSION)"'
# libbpf linked statically by default (as libbpf-tools and bpftool ship it):
# the binary then needs libbpf 1.2+ symbols from nowhere but itself, and runs
# where the distribution's libbpf is older (Debian 12: 1.1) or absent. It
# needs libelf and zlib (libbpf's own dependencies), libyaml and libc.
# LIBBPF_STATIC=0 links the shared libbpf instead.
LIBBPF_STATIC ?= 1
LIBBPF_A   ?= $(shell pkg-config --variable=libdir libbpf 2>/dev/null || echo /usr/lib)/libbpf.a
ifeq ($(LIBBPF_STATIC),1)
LIBBPF_LIBS := $(LIBBPF_A)
else
LIBBPF_LIBS := $(shell pkg-config --libs libbpf 2>/dev/null || echo -lbpf)
endif
LIBS       := $(LIBBPF_LIBS) -lelf -lz -lyaml
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Wall -Wextra \
              -Wno-unused-parameter -Werror=implicit-function-declaration -Ivmlinux/$(ARCH) -Iinclude -Ibpf

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
# The objects with a 5.10-5.16 build; page_addr's programs need nothing
# those kernels lack, verify's need bpf_loop (it refuses to start there).
COMPAT_SRCS := bpf/splicewatch.bpf.c bpf/stats.bpf.c
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS)) \
              $(patsubst bpf/%.bpf.c,$(OUT)/%_compat.bpf.o,$(COMPAT_SRCS))
SKELS      := $(patsubst %.bpf.o,%.skel.h,$(BPF_OBJS))
SRCS       := $(wildcard src/*.c)
OBJS       := $(patsubst src/%.c,$(OUT)/%.o,$(SRCS))
HDRS       := $(wildcard include/*.h src/*.h bpf/*.h bpf/lib/*.h bpf/detect/*.h bpf/stats/*.h bpf/verify/*.h)

.PHONY: all clean install test check FORCE completion deb
# Kept: the skeletons embed them, and the compat layout check reads both.
.SECONDARY: $(BPF_OBJS)
all: $(SW_BIN)

$(OUT):
	mkdir -p $@

# DWARF is never loaded (BTF carries types and line info) but would be
# embedded in the binary by the skeleton: strip it.
$(OUT)/%.bpf.o: bpf/%.bpf.c $(HDRS) vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
	$(LLVM_STRIP) -g $@

# Linux 5.10-5.16: the same programs, built without what those kernels lack
# (bpf/lib/compat.bpf.h) ...
$(OUT)/%_compat.bpf.o: bpf/%.bpf.c $(HDRS) vmlinux/$(ARCH)/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -DSW_COMPAT -c $< -o $@
	$(LLVM_STRIP) -g $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# ... and opened through the main skeleton (sw_open_compat), which binds
# maps, programs and global data by name: both must have the same ones.
$(OUT)/compat-layout.ok: $(SKELS) scripts/skel-layout.sh
	for b in $(patsubst bpf/%.bpf.c,%,$(COMPAT_SRCS)); do \
		scripts/skel-layout.sh $(OUT)/$$b.skel.h > $@.main && \
		scripts/skel-layout.sh $(OUT)/$${b}_compat.skel.h > $@.compat && \
		diff -u $@.main $@.compat || \
		{ echo "the compat build of $$b does not match its skeleton" >&2; exit 1; }; \
	done
	rm -f $@.main $@.compat
	touch $@

$(OUT)/%.o: src/%.c $(HDRS) $(SKELS) $(OUT)/compat-layout.ok | $(OUT)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

FORCE:

# Relinked when the link mode changes (LIBBPF_STATIC=0 then 1).
$(OUT)/link-mode: FORCE | $(OUT)
	@echo '$(LIBS)' | cmp -s - $@ || echo '$(LIBS)' > $@

$(SW_BIN): $(OBJS) $(OUT)/link-mode
	$(CC) $(CFLAGS) $(LDFLAGS) $(OBJS) $(LIBS) -o $@

# The bash completion, from the binary's own --help texts: the same on every
# architecture, so a cross build reads them from a native build (run here).
$(OUT)/splicewatch.bash: splicewatch scripts/gen-completion.sh | $(OUT)
	scripts/gen-completion.sh ./splicewatch > $@.tmp && mv $@.tmp $@
ifneq ($(SW_BIN),splicewatch)
.PHONY: splicewatch
splicewatch:
	$(MAKE) ARCH=x86 CC=$(BUILD_CC) PKG_CONFIG=pkg-config CPPFLAGS= LDFLAGS= splicewatch
endif
BUILD_CC   ?= cc

completion: $(OUT)/splicewatch.bash

# What the Debian package installs (debian/rules runs it with PREFIX=/usr):
# the binary, the man page, the unit (its ExecStart pointed at BINDIR), the
# bash completion, and the default config unless one is there already.
install: $(SW_BIN) $(OUT)/splicewatch.bash
	install -D -m 0755 $(SW_BIN) $(DESTDIR)$(BINDIR)/splicewatch
	install -D -m 0644 man/splicewatch.8 $(DESTDIR)$(MANDIR)/splicewatch.8
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/sbin/splicewatch|$(BINDIR)/splicewatch|g' dist/splicewatch.service \
		> $(DESTDIR)$(UNITDIR)/splicewatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/splicewatch.service
	install -D -m 0644 $(OUT)/splicewatch.bash $(DESTDIR)$(COMPLDIR)/splicewatch
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/splicewatch/splicewatch.yaml ]; then \
		echo "keeping $(DESTDIR)$(SYSCONFDIR)/splicewatch/splicewatch.yaml"; \
	else \
		echo install -D -m 0644 dist/splicewatch.yaml $(DESTDIR)$(SYSCONFDIR)/splicewatch/splicewatch.yaml; \
		install -D -m 0644 dist/splicewatch.yaml $(DESTDIR)$(SYSCONFDIR)/splicewatch/splicewatch.yaml; \
	fi

# The Debian package (scripts/make-deb.sh: dpkg-buildpackage in a copy of the
# tree), into $(DEB_OUT).
DEB_OUT    ?= $(OUT)/deb
deb:
	scripts/make-deb.sh $(if $(filter arm64,$(ARCH)),--arch arm64) $(DEB_OUT)

clean:
	rm -rf $(OUT) splicewatch tests/build

include tests/tests.mk
-include bench/bench.mk

.PHONY: deps
deps:
	bash scripts/deps.sh
-include tests/vm/vm.mk
-include hygiene.mk
