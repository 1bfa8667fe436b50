# PrecisionLab on a fresh Debian machine with Swift: `make study` (the main job, README), `make test`
# (the tests), `make install` (precisionlab on the PATH with shell completions), `make run` (a tour).
SWIFT ?= swift
# `make` alone runs the main job.
.DEFAULT_GOAL := study
# Where `make install` puts things (DESTDIR prefixes every path, for packaging).
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
# The executable the study, report and tour targets run.
PRECISIONLAB ?= ./.build/release/precisionlab

.PHONY: beside run test test-deps test-scripts deps build release release-all verify bench study reduced report install uninstall fuzz fuzz-build

# GNU MPFR's and zlib's headers: installed with apt-get when root, else the command to run.
deps:
	@if [ ! -f /usr/include/mpfr.h ] || [ ! -f /usr/include/zlib.h ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libmpfr-dev zlib1g-dev pkg-config) >/dev/null; \
	  else \
	    echo "GNU MPFR or zlib is missing: run 'sudo apt-get install -y libmpfr-dev zlib1g-dev pkg-config'"; exit 1; \
	  fi; \
	fi

build: deps
	$(SWIFT) build

# The command-line tool alone (what study, run, install and reduced need): the benchmark and verifier
# executables compete for the second core of a small machine, so they are built by their own targets.
release: deps
	$(SWIFT) build -c release --product precisionlab

release-all: deps
	$(SWIFT) build -c release

# precisionlab in $(BINDIR), with the bash, zsh and fish completions swift-argument-parser generates
# (options, subcommands, and each command's experiment options and their values).
install: release
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/bash-completion/completions" \
	  "$(DESTDIR)$(DATADIR)/zsh/site-functions" "$(DESTDIR)$(DATADIR)/fish/vendor_completions.d"
	install -m 755 .build/release/precisionlab "$(DESTDIR)$(BINDIR)/precisionlab"
	.build/release/precisionlab --generate-completion-script bash > "$(DESTDIR)$(DATADIR)/bash-completion/completions/precisionlab"
	.build/release/precisionlab --generate-completion-script zsh > "$(DESTDIR)$(DATADIR)/zsh/site-functions/_precisionlab"
	.build/release/precisionlab --generate-completion-script fish > "$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/precisionlab.fish"
	@echo "installed $(DESTDIR)$(BINDIR)/precisionlab and its completions (new shells load them)"

uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/precisionlab" "$(DESTDIR)$(DATADIR)/bash-completion/completions/precisionlab" \
	  "$(DESTDIR)$(DATADIR)/zsh/site-functions/_precisionlab" "$(DESTDIR)$(DATADIR)/fish/vendor_completions.d/precisionlab.fish"

run: release
	./.build/release/precisionlab formats
	@echo
	@echo "Worked example: bfloat16, 1 + (-2^-126), in every rounding mode (exact: 1 - 2^-126)"
	@for m in nearest-even nearest-away toward-zero toward-positive toward-negative odd stochastic; do \
	  printf '  %-16s ' $$m; ./.build/release/precisionlab calc --format bf16 --rounding $$m add 1 -0x1p-126; \
	done
	@echo
	@echo "Backprop: loss and exact zeros at each ReLU input, MLP 784-256-256-10, first batch of 256"
	@data=synthetic; [ -f "$${PRECISIONLAB_DATA:-data}/mnist/train-labels-idx1-ubyte.gz" ] && data=mnist; \
	[ $$data = synthetic ] && echo "  (synthetic MNIST-like data: no MNIST in \$$PRECISIONLAB_DATA or ./data; get it with 'precisionlab data fetch mnist')"; \
	for f in fp64 fp32 bf16 fp16; do \
	  printf '  %-5s ' $$f; ./.build/release/precisionlab grad --widths 784,256,256,10 --format $$f --data $$data --batch-size 256 2>&1 | grep -v 'using synthetic data' | tr '\n' ' '; echo; \
	done

# What optional parts' tests need: a local Slurm cluster (Debian's slurm-wlm and munge), the BLAS
# backend (OpenBLAS), the real Fashion-MNIST files (Debian's dataset-fashion-mnist, served to the
# fetch test) and python3 (the report's statistics). Installed when root; without them those tests are
# skipped and say why.
TEST_PACKAGES = slurm-wlm munge libopenblas0-pthread dataset-fashion-mnist python3
test-deps:
	@if [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/munged ] || ! ls /usr/lib/*/libopenblas.so.0 >/dev/null 2>&1 \
	  || [ ! -f /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz ] || ! command -v python3 >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TEST_PACKAGES)) >/dev/null 2>&1 \
	      || echo "some of $(TEST_PACKAGES) could not be installed: the tests that need them will be skipped"; \
	  else \
	    echo "some of $(TEST_PACKAGES) are missing (not root): the tests that need them will be skipped"; \
	  fi; \
	fi

test: deps test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory test-scripts

# The report's statistics (scripts/test_report.py) against exact enumeration and closed forms.
test-scripts:
	@if command -v python3 >/dev/null; then python3 -m unittest discover -s scripts -p 'test_*.py'; \
	elif [ -n "$$PRECISIONLAB_REQUIRE_INTEGRATION" ]; then echo "python3 is missing: scripts/test_report.py did not run"; exit 1; \
	else echo "python3 is missing: scripts/test_report.py skipped"; fi

# Exhaustive binary16 / bfloat16 checks (release mode, minutes): writes docs/VERIFICATION.md.
verify: deps
	$(SWIFT) build -c release --product precisionlab-verify
	./.build/release/precisionlab-verify --write docs/VERIFICATION.md

bench: deps
	$(SWIFT) build -c release --product precisionlab-bench
	./.build/release/precisionlab-bench

# The default study (README, the main job): bifurcation at fp16, bf16, fp32 and fp64 on the MNIST MLP
# 784-256-256-256-10, one pass of batches of 256. MNIST is fetched (verified download) into the data
# directory when missing; only when that fails (offline) does the study run on synthetic data, said in a
# banner. Every run computes anew into its own run directory, runs/default-study-DATE-TIME/ (ignored by
# git; results/study/ is the committed reference run and is left alone), prints the summary table,
# where the files are and the paper's numbers beside ours. STUDY_OPTIONS adds sweep options (for example
# STUDY_OPTIONS="--runs 5", or "--out runs/mine.csv" to resume a run).
STUDY_DATA_DIR ?= $(or $(PRECISIONLAB_DATA),data)
STUDY_OPTIONS ?=
study: release
	@data=mnist; \
	if [ ! -f "$(STUDY_DATA_DIR)/mnist/train-labels-idx1-ubyte.gz" ]; then \
	  echo "MNIST is not in $(STUDY_DATA_DIR): fetching it (precisionlab data fetch mnist)"; \
	  $(PRECISIONLAB) data fetch mnist --data-dir "$(STUDY_DATA_DIR)" || data=synthetic; \
	fi; \
	if [ $$data = synthetic ]; then \
	  echo "*****************************************************************************************"; \
	  echo "* MNIST could not be fetched (offline?): running on SYNTHETIC data. These numbers say     *"; \
	  echo "* nothing about the paper (the results' data column says synthetic).                     *"; \
	  echo "*****************************************************************************************"; \
	fi; \
	echo "Default study: bifurcation volume, data: $$data (from $(STUDY_DATA_DIR))"; \
	$(PRECISIONLAB) sweep experiments/default-study.yaml --data-dir "$(STUDY_DATA_DIR)" $(STUDY_OPTIONS) \
	  $$( [ $$data = synthetic ] && echo --data synthetic )

# results/REPORT.md and its figures from the committed CSVs (scripts/report.py; the published numbers
# from experiments/reference/paper-results.md, committed with their source, or PAPER=PATH).
PAPER ?= experiments/reference/paper-results.md
# One sweep's figure with the paper's published shares beside ours (scripts/paper-beside.py).
beside:
	@first=$$(echo $(FILES) | cut -d' ' -f1); [ -f $$first ] && [ -f $(PAPER) ] && t=$$(mktemp --suffix .csv) && \
	  python3 scripts/paper-beside.py $(SWEEP) $(PAPER) $$t $(FILES) && \
	  $(PRECISIONLAB) plot $$t --x x --y ratio --series source --kind line --bands $(PLOT_OPTIONS) --x-label "$(LABEL)" \
	    --y-label "share of θ in S" \
	    -o results/$(FIGURE).svg; rm -f $$t; true

report:
	@for name in headline-paper headline-corrected; do \
	  [ -f results/$$name.csv ] && $(PRECISIONLAB) plot results/$$name.csv --x format --y ratio -o results/$$name.svg; \
	done; true
	@[ -f results/headline-summation.csv ] && $(PRECISIONLAB) plot results/headline-summation.csv --x summation --y ratio \
	  -o results/headline-summation.svg; true
	@[ -f results/headline-tf32.csv ] && $(PRECISIONLAB) plot results/headline-tf32.csv --x operand_rounding --y ratio \
	  -o results/headline-tf32.svg; true
	@$(MAKE) --no-print-directory beside SWEEP=L FIGURE=volume-layers FILES=results/volume-layers.csv LABEL="hidden layers L" PLOT_OPTIONS=
	@$(MAKE) --no-print-directory beside SWEEP=n FIGURE=volume-width FILES=results/volume-width.csv LABEL="width n" PLOT_OPTIONS=--log-x
	@$(MAKE) --no-print-directory beside SWEEP=L FIGURE=volume-layers-pytorch-cpu \
	  FILES="results/volume-layers-pytorch-cpu.csv results/headline-pytorch-cpu.csv" LABEL="hidden layers L" PLOT_OPTIONS=
	@$(MAKE) --no-print-directory beside SWEEP=n FIGURE=volume-width-pytorch-cpu \
	  FILES="results/volume-width-pytorch-cpu.csv results/headline-pytorch-cpu.csv" LABEL="width n" PLOT_OPTIONS=--log-x
	@$(MAKE) --no-print-directory beside SWEEP=B FIGURE=volume-batch-pytorch-cpu \
	  FILES="results/volume-batch-pytorch-cpu.csv results/headline-pytorch-cpu.csv" LABEL="batch size B" PLOT_OPTIONS=--log-x
	@t=$$(mktemp --suffix .csv); python3 scripts/precision-curve.py results $$t && \
	  $(PRECISIONLAB) plot $$t --x format --x-as precision --y ratio --series accumulate --kind line --bands \
	    --y-label "share of θ in S" --title "Share of θ in S against significand bits p (L = 3, n = 256, B = 256, MNIST)" \
	    -o results/volume-precision.svg; rm -f $$t; true
	@$(MAKE) --no-print-directory beside SWEEP=B FIGURE=volume-batch FILES=results/volume-batch.csv LABEL="batch size B" PLOT_OPTIONS=--log-x
	@for name in conv-volume conv-volume-corrected conv-volume-bfloat16 conv-volume-pilot; do \
	  [ -f results/$$name.csv ] || continue; \
	  data=$$(python3 -c "import csv, sys; print(next(csv.DictReader(open(sys.argv[1])))['data'])" results/$$name.csv); \
	  series=batch_norm,format; [ $$name = conv-volume ] && series=batch_norm,format,batch_norm_arithmetic; \
	  for model in vgg:VGG11 resnet:ResNet18; do \
	    $(PRECISIONLAB) plot results/$$name.csv --cumulative --where model=$${model%%:*} --series $$series --log-x \
	      --x-label "batch k (first differing batch, from 1)" \
	      --title "$${model#*:} on $$data: share of runs whose first-layer gradients differed by batch k" \
	      -o results/$$name-$${model%%:*}.svg; \
	  done; \
	done; true
	@for run in conv-training-resnet-10k:kink_rule conv-training-resnet-bn:kink_rule conv-training-vgg:batch_norm; do \
	  name=$${run%%:*}; [ -f results/$$name.csv ] && $(PRECISIONLAB) plot results/$$name.csv --raw --where final=1 \
	    --x relu0 --y test_accuracy --series $${run#*:} --kind points --zoom-y --x-label "ReLU'(0)" \
	    --y-label "final test accuracy, one point per run" -o results/$$name.svg; \
	done; true
	python3 scripts/report.py --paper "$(PAPER)" > results/REPORT.md.tmp && mv results/REPORT.md.tmp results/REPORT.md || { rm -f results/REPORT.md.tmp; exit 1; }

# Every reduced sweep of experiments/ (real MNIST required), each with its summary table and figure in
# results/: the committed reference results, resumed and extended (--out names them). Times are printed
# per sweep; results/README.md lists what a run on this machine took.
REDUCED = volume-layers-reduced gradient-gaps-reduced zero-census-reduced training-alpha-reduced trajectory-reduced
reduced: release
	@for name in $(REDUCED); do \
	  echo "== $$name"; start=$$(date +%s); \
	  $(PRECISIONLAB) sweep experiments/$$name.yaml --data-dir "$(STUDY_DATA_DIR)" --quiet \
	    --out results/$$name.csv --table results/$$name.md --plot results/$$name.svg || exit 1; \
	  echo "== $$name: $$(( $$(date +%s) - start )) s"; \
	done

# libFuzzer targets for every reader of outside input (Fuzz/, docs/FUZZING.md), with address sanitizer:
# each runs FUZZ_SECONDS (default 600) from its committed seeds (Fuzz/Corpus/NAME) plus what earlier
# runs found (.build/fuzz/corpus/NAME). `make -j2 fuzz` runs two at once; `make fuzz-FuzzIDX` runs one.
# A crash, leak or timeout stops with its input saved as .build/fuzz/NAME-crash-… (replay: the binary
# with that file as its argument). SWIFT_BACKTRACE=enable=no: Swift's backtracer would hang on a crash.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS = FuzzResultsCSV FuzzSweepFile FuzzSlurmManifest FuzzSafetensors FuzzIDX FuzzCIFAR FuzzArchive FuzzSVHN FuzzNumberText
FUZZ_BUILD = Fuzz/.build/debug

fuzz-build: deps
	$(SWIFT) build --package-path Fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library

fuzz: $(addprefix fuzz-,$(FUZZ_TARGETS))
	@echo "fuzz: every target ran $(FUZZ_SECONDS) s without a crash (logs: .build/fuzz/*.log)"

fuzz-%: fuzz-build
	@mkdir -p .build/fuzz/corpus/$*
	@SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 $(FUZZ_BUILD)/$* .build/fuzz/corpus/$* Fuzz/Corpus/$* -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=30 -rss_limit_mb=4096 -max_len=65536 -print_final_stats=1 -artifact_prefix=.build/fuzz/$*- > .build/fuzz/$*.log 2>&1; \
	  status=$$?; \
	  printf '%-18s %s executions in %s s, %s new corpus files, exit %s\n' $* \
	    "$$(sed -n 's/^stat::number_of_executed_units: *//p' .build/fuzz/$*.log)" \
	    "$$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' .build/fuzz/$*.log)" \
	    "$$(ls .build/fuzz/corpus/$* | wc -l)" $$status; \
	  if [ $$status -ne 0 ]; then grep -E '==[0-9]+==ERROR|SUMMARY|Fatal error|artifact' .build/fuzz/$*.log | head -5; exit 1; fi
