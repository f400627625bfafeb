# SPDX-License-Identifier: GPL-2.0
#
# sdei-nmi-rs: Linux 7.3 arm64 SDEI cross-CPU NMI, ported to Rust.
# "make help" lists the targets and variables.

SHELL := /bin/bash
.DEFAULT_GOAL := help

ALL_VARIANTS := c rust
# Kernels for the Rust port's own tests; test/scenarios build them with rust.
TEST_VARIANTS := kunit watchdog
# The product: demo, run and kernel build the Rust port unless told otherwise.
VARIANT ?= rust
VARIANTS ?= $(ALL_VARIANTS)
ifneq ($(filter-out $(ALL_VARIANTS) $(TEST_VARIANTS),$(VARIANT)),)
$(error VARIANT must be among: $(ALL_VARIANTS) $(TEST_VARIANTS))
endif
# VARIANT-nofix: VARIANT without the hotplug-window fix (scripts/nofix.sh),
# for hotplug-window and the evidence of hotplug-nofix.
ifneq ($(filter-out $(ALL_VARIANTS) $(ALL_VARIANTS:%=%-nofix),$(VARIANTS)),)
$(error VARIANTS must be among: $(ALL_VARIANTS) $(ALL_VARIANTS:%=%-nofix))
endif
ifneq ($(filter-out 0 1,$(NO_FIRMWARE)),)
$(error NO_FIRMWARE must be 0 or 1, not '$(NO_FIRMWARE)')
endif
export VARIANT VARIANTS

PYTEST := python3 -m pytest
RUN_FLAGS := --variant $(VARIANT) $(if $(filter 1,$(NO_FIRMWARE)),--no-firmware) \
	$(if $(APPEND),--append "$(APPEND)")

TARGETS := help setup tree export status kernel firmware guest artefacts \
	demo run test scenarios soak check bisect-check figures bench bench-watchdog bench-nmi detectors hotplug-window hotplug-nofix delivery-nofix pm-nofix stop-questions kprobe-negative min-toolchain defconfig-check clean-build
.PHONY: $(TARGETS)

help:
	@echo "Targets:"
	@echo "  demo        setup, build, boot on TF-A and show the SDEI NMI at work (README's first command;"
	@echo "              the Rust port unless VARIANT=c)"
	@echo "  test        setup, build and run every test; pass/fail summary (README's second command)"
	@echo "  setup       install host packages and fetch sources into the cache (idempotent)"
	@echo "  tree        materialise the kernel git tree from v7.3 + patches/"
	@echo "  export      write the tree's commits back to patches/ (format-patch, cover letter, --base)"
	@echo "  status      is the tree in sync with patches/?"
	@echo "  kernel      configure and build the kernel (incremental)"
	@echo "  firmware    build TF-A with SDEI for QEMU virt (cached)"
	@echo "  guest       build the busybox initramfs with the test payloads"
	@echo "  run         boot to an interactive shell on TF-A; CMD='...' runs one command and exits"
	@echo "  scenarios   run the scenario tests only (no setup or build); S=pattern selects"
	@echo "  soak        the hardlockup detector's no-false-positive soak, long form (SOAK_SECONDS=600)"
	@echo "  check       quality gates: checkpatch --strict, rustfmtcheck, clippy warnings"
	@echo "  bisect-check build the kernel after every patch of the series (slow: own build dir)"
	@echo "  figures     size and handler-path figures, C vs Rust"
	@echo "  bench       stop-rung time with 3 wedged CPUs, C vs Rust, each sdei_stop= mode (ROUNDS=5 boots each)"
	@echo "  bench-watchdog hardlockup detection latency, SDEI detector vs buddy + SDEI, watchdog_thresh"
	@echo "              5 and 10 (ROUNDS=5): table in docs/detector-latency.md"
	@echo "  bench-nmi   SDEI vs pseudo-NMI on the perf kernel: instructions (PMU, -icount) and time per"
	@echo "              gettid() and irq save/restore, backtrace round trip, stop rung (ROUNDS=5):"
	@echo "              table in README and docs/nmi-bench.md"
	@echo "  detectors   the detectors' comparison table (docs/detectors.md, README) from the logs of"
	@echo "              the last make test; non-zero if the SDEI detector is worse on a row"
	@echo "  hotplug-window sysrq-l storms during CPU hotplug on each TF-A flavour (FLAVOURS, ROUNDS=2,"
	@echo "              HOTPLUG_SECONDS=60): hangs, masked triggers, table in results/hotplug-window.md"
	@echo "  hotplug-nofix the hotplug-overlap scenario on TF-A on kernels with the hotplug-window fix"
	@echo "              reverted (VARIANTS, built into VARIANT-nofix): expected to fail"
	@echo "  delivery-nofix the sdei-undelivered scenario on kernels without the boot delivery check"
	@echo "              (VARIANTS, built into VARIANT-nofix-delivery): expected to fail"
	@echo "  pm-nofix    the hibernate-pm-test scenario on TF-A on kernels whose delivery check runs while"
	@echo "              the service is closed (VARIANTS, built into VARIANT-exp-pm-check-while-closed):"
	@echo "              expected to fail"
	@echo "  stop-questions the ways of stopping a CPU from inside SDEI event 0 (park, CPU_OFF"
	@echo "              uncompleted, complete then park, complete then CPU_OFF, without the GICv3"
	@echo "              fix), each with an SMP capture kernel on TF-A: docs/stop-questions.md"
	@echo "  kprobe-negative the kprobe selftest on a rust kernel whose Context::cpu_backtrace() is out"
	@echo "              of line (its #[inline(always)] removed): the selftest must fail on it"
	@echo "  min-toolchain build the series with the kernel's minimum Rust toolchain (Debian trixie's"
	@echo "              rustc 1.85.1, bindgen 0.71.1) in a debootstrap chroot, CLIPPY=1, rustfmt, rustdoc"
	@echo "  defconfig-check the Rust crates and the series' objects on arm64 defconfig + Rust + every"
	@echo "              option of the series (CLIPPY=1, W=1; not a whole kernel)"
	@echo "  clean-build remove this variant's kernel build directory"
	@echo "Variables:"
	@echo "  VARIANT=rust|c|kunit|watchdog  kernel for kernel/run/demo (default rust): rust = the"
	@echo "                     Rust port, c = the upstream C driver, kunit = the Rust port with its KUnit tests"
	@echo "                     (a test kernel), watchdog = the Rust port as hardlockup detector"
	@echo "                     (configs/VARIANT.config on top of configs/qemu-sdei.config)"
	@echo "  VARIANTS='c rust'  variants that test/scenarios run the parity matrix on"
	@echo "  LINUX_SRC=DIR      use your own v7.3 tree as the base instead of Debian's linux-source-7.3"
	@echo "  TREE=DIR           where the kernel git tree is materialised (default: \$$SDEI_CACHE/linux)"
	@echo "  SDEI_CACHE=DIR     cache of packages, sources, builds (default: ~/.cache/sdei-nmi-rs)"
	@echo "  NO_FIRMWARE=1      boot without TF-A (no secure world, no SDEI)"
	@echo "  FW_FLAVOUR=F       TF-A for firmware/run/scenarios: stock (default), trace (a console line"
	@echo "                     for each event 0 at a masked PE), fixed (EOI, pending until unmask)"
	@echo "                     or nosignal (SDEI_EVENT_SIGNAL delivers nothing)"
	@echo "  CMD='...'          with run: the command to run in the guest"
	@echo "  APPEND='...'       extra kernel command line"
	@echo "  S=pattern          with test/scenarios: pytest -k selection"
	@echo "  SOAK_SECONDS=N     length of the soak (test: 120, soak: 600)"
	@echo "  OVERLAP_SECONDS=N  length of the hotplug-overlap scenario (default 60)"
	@echo "  FORCE=1            let 'tree' discard work that is not in patches/"
	@echo "  BOOT_JOBS=N        with test/scenarios: guests booted at a time (default 2; 1 = one by one)"
	@echo "  SEED=none          with kernel/test: build a new build directory from scratch instead of"
	@echo "                     starting from a copy of a finished one (SEED='rust c' names the candidates)"
	@echo "  SERIAL_KERNELS=1   with test: build the kernels one after the other, not side by side"

setup:
	@bash scripts/setup.sh

tree:
	@bash scripts/tree.sh materialise

export:
	@bash scripts/tree.sh export

status:
	@bash scripts/tree.sh status

kernel: tree
	@bash scripts/kernel.sh $(VARIANT)

firmware:
	@bash scripts/firmware.sh && FW_FLAVOUR=nosignal bash scripts/firmware.sh

guest:
	@bash scripts/guest.sh

artefacts: kernel firmware guest

demo: setup artefacts
	@echo "==> demo: VARIANT=$(VARIANT), $(if $(filter c,$(VARIANT)),the upstream C driver,the Rust port) on QEMU + TF-A"
	@python3 scripts/vm.py --variant $(VARIANT) --cmd "sh /harness/demo.sh"

run: artefacts
ifeq ($(CMD),)
	@python3 scripts/vm.py $(RUN_FLAGS)
else
	@python3 scripts/vm.py $(RUN_FLAGS) --cmd '$(subst ','"'"',$(CMD))'
endif

scenarios:
	@bash scripts/test.sh --no-build $(if $(S),-k '$(S)')

# The long soak on TF-A only: its short form and the no-firmware control
# are part of "make test".
soak: VARIANT := watchdog
soak: setup artefacts
	@SOAK_SECONDS=$(or $(SOAK_SECONDS),600) VARIANTS=rust GATES=0 \
		bash scripts/test.sh --no-build -k 'hardlockup-soak and tf-a'

check:
	@bash scripts/check.sh

bisect-check: tree
	@bash scripts/bisect-check.sh

figures:
	@python3 scripts/figures.py >docs/figures.md.tmp && mv docs/figures.md.tmp docs/figures.md
	@cat docs/figures.md

bench:
	@python3 scripts/bench_stop.py $(or $(ROUNDS),5)

bench-watchdog:
	@python3 scripts/bench_watchdog.py $(or $(ROUNDS),5)

bench-nmi: setup tree firmware guest
	@python3 scripts/bench_nmi.py $(or $(ROUNDS),5)

detectors:
	@python3 scripts/detectors.py --check

# test.sh runs the setup step itself, as its first timed phase.
test:
	@bash scripts/test.sh --setup $(if $(S),-k '$(S)')

# The hotplug window, layer by layer: each kernel variant on each TF-A
# flavour (firmware/ holds the patches).
HOTPLUG_FLAVOURS := $(or $(FLAVOURS),stock trace fixed)
hotplug-window: setup tree
	@for v in $(VARIANTS); do bash scripts/kernel.sh $$v || exit 1; done
	@for f in $(HOTPLUG_FLAVOURS); do FW_FLAVOUR=$$f bash scripts/firmware.sh || exit 1; done
	@bash scripts/guest.sh
	@FLAVOURS='$(HOTPLUG_FLAVOURS)' python3 scripts/hotplug_window.py $(or $(ROUNDS),2) \
		$(or $(HOTPLUG_SECONDS),60)

# The evidence that the hotplug-overlap scenario needs the fix: the same
# scenario on kernels without it.  Its failure is the expected outcome; the
# results are in results/VARIANT-nofix-hotplug-overlap-tf-a.{ktap,log}.
hotplug-nofix: setup tree
	@bash scripts/nofix.sh $(VARIANTS:%-nofix=%)
	@bash scripts/firmware.sh && bash scripts/guest.sh
	@if VARIANTS='$(foreach v,$(VARIANTS:%-nofix=%),$(v)-nofix)' GATES=0 \
		bash scripts/test.sh --no-build -k 'hotplug-overlap and tf-a'; then \
		echo "==> hotplug-nofix: passed without the fix: this shows nothing" >&2; exit 1; \
	else echo "==> hotplug-nofix: failed without the fix, as expected"; fi

# The sdei-undelivered scenario (firmware that never delivers event 0) on
# kernels without the boot delivery check: expected to fail.
delivery-nofix: setup tree
	@bash scripts/nofix.sh --set delivery $(VARIANTS:%-nofix=%)
	@bash scripts/firmware.sh && FW_FLAVOUR=nosignal bash scripts/firmware.sh && bash scripts/guest.sh
	@if VARIANTS='$(foreach v,$(VARIANTS:%-nofix=%),$(v)-nofix-delivery)' GATES=0 \
		bash scripts/test.sh --no-build -k 'sdei-undelivered and tf-a'; then \
		echo "==> delivery-nofix: passed without the check: this shows nothing" >&2; exit 1; \
	else echo "==> delivery-nofix: failed without the check, as expected"; fi

# The hibernate-pm-test scenario on kernels whose delivery check also runs
# while the service is closed (tests/experiments/pm-check-while-closed-*.patch,
# the series before the fix): expected to fail, the guest hanging at
# "Enabling non-boot CPUs".
pm-nofix: setup tree
	@bash scripts/nofix.sh --experiment pm-check-while-closed $(VARIANTS)
	@bash scripts/firmware.sh && bash scripts/guest.sh
	@if VARIANTS='$(foreach v,$(VARIANTS),$(v)-exp-pm-check-while-closed)' GATES=0 \
		bash scripts/test.sh --no-build -k 'hibernate-pm-test and tf-a'; then \
		echo "==> pm-nofix: passed without the fix: this shows nothing" >&2; exit 1; fi
	@# The symptom, not just any failure: the guest never returned from the
	@# hibernation, and the log stops after "Enabling non-boot CPUs".
	@r=$${SDEI_CACHE:-$$HOME/.cache/sdei-nmi-rs}/results; for v in $(VARIANTS); do \
		k=$$r/$$v-exp-pm-check-while-closed-hibernate-pm-test-tf-a; \
		grep -q 'not ok .* guest-finished' $$k.ktap && grep -q 'hibernate-processors missing' $$k.ktap && \
		grep -q 'Enabling non-boot CPUs' $$k.log || { echo "==> pm-nofix: $$v failed otherwise" >&2; exit 1; }; \
		echo "==> pm-nofix: $$v: the console's last lines:"; grep -v '^\s*$$' $$k.log | tail -4; \
	done; echo "==> pm-nofix: failed without the fix, as expected"

# The recoverable stop's open questions, one run each on VARIANT (c unless
# given): builds the experiment kernel and the one without the GICv3 fix.
STOP_Q_VARIANT := $(if $(filter command line,$(origin VARIANT)),$(VARIANT),c)
stop-questions: setup tree
	@bash scripts/nofix.sh --experiment sdei-stop-off-uncompleted $(STOP_Q_VARIANT)
	@bash scripts/nofix.sh --set stale-sgi $(STOP_Q_VARIANT)
	@bash scripts/firmware.sh && bash scripts/guest.sh
	@python3 scripts/stop_questions.py $(STOP_Q_VARIANT)

# The evidence that the kprobe selftest catches an out-of-line Rust function
# on the SDEI handler path: expected to pass (the selftest fails).
kprobe-negative: setup tree
	@bash scripts/firmware.sh && bash scripts/guest.sh
	@bash scripts/kprobe-negative.sh

# The series on arm64 defconfig: the Rust crates and the series' objects only.
defconfig-check: setup tree
	@bash scripts/defconfig-check.sh

# Slow the first time (debootstrap, a build from scratch): not part of test.
min-toolchain: setup tree
	@bash scripts/min-toolchain.sh

clean-build:
	rm -rf "$${SDEI_CACHE:-$$HOME/.cache/sdei-nmi-rs}/build/$(VARIANT)"

.DEFAULT:
	@echo "make: unknown target '$@'" >&2
	@$(MAKE) --no-print-directory help >&2
	@exit 2
