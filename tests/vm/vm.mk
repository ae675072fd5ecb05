# VM kernel matrix: the test suites (swtest trace, enforce, deny; ci) inside qemu VMs
# booting Debian kernels (tests/vm/README.md).
#
#   make vmtest                                  every kernel, backend tracepoint
#   make vmtest KERNELS="6.1 6.12" BACKENDS="tracepoint fentry"
#   make vmtest VMJOBS=1 SWTEST_FILTER='*held_range*' VMSUITES=trace
#
# Empty variables take matrix.sh's defaults (see tests/vm/matrix.sh --help).
KERNELS       ?=
BACKENDS      ?=
VMJOBS        ?=
VMSUITES      ?=
SWTEST_FILTER ?=
VMTEST_FLAGS  ?=

.PHONY: vmtest
vmtest: splicewatch tests/build/swtest tests/build/ci_workload
	bash tests/vm/deps.sh
	bash tests/vm/matrix.sh$(if $(strip $(KERNELS)), --kernels "$(strip $(KERNELS))")$(if $(strip $(BACKENDS)), --backends "$(strip $(BACKENDS))")$(if $(strip $(VMJOBS)), -j $(strip $(VMJOBS)))$(if $(strip $(VMSUITES)), --suites "$(strip $(VMSUITES))")$(if $(strip $(SWTEST_FILTER)), --filter '$(strip $(SWTEST_FILTER))') $(VMTEST_FLAGS)
