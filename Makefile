# Thin wrapper over the CMake presets (see CMakePresets.json and README.md).
SHELL := /bin/bash
.DEFAULT_GOAL := build
JOBS ?= $(shell nproc)

.PHONY: exercise exercises exercise-reset watch
.PHONY: deps build release tsan asan test test-dev test-tsan test-asan lesson list \
        bench run race format clean help check-notes compare

help:
	@echo "make run                 build and start the homework server (Ctrl-C stops it)"
	@echo "make test                build and run every test (dev + tsan)"
	@echo "make test-asan           the same under ASan+UBSan"
	@echo "make lesson NAME=08_data_race_counter ARGS=--variant=racy"
	@echo "make list                every lesson with its one-line description"
	@echo "make exercise NAME=05_tracker   lab mode: check your fix (make exercises: progress)"
	@echo "make exercise-reset NAME=...    restore an exercise; make watch NAME=...: check on save"
	@echo "make race                race demos under TSan (reports), then the fixed variants"
	@echo "make check-notes         every lesson variant 5 times against its .expect; vet notes' Go"
	@echo "make bench               Google Benchmark suites (release build)"
	@echo "make compare             gox vs its Go twins: table, bench/results/latest.{md,svg} (QUICK=1: smoke)"
	@echo "make format | clean"

deps:
	@scripts/deps.sh

build: deps
	@cmake --preset dev >/dev/null
	cmake --build --preset dev -j $(JOBS)

release: deps
	@cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

tsan: deps
	@cmake --preset tsan >/dev/null
	cmake --build --preset tsan -j $(JOBS)

asan: deps
	@cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

test-dev: build
	ctest --preset dev

test-tsan: tsan
	ctest --preset tsan  # each test runs under setarch -R (see the tsan preset)

test: test-dev test-tsan

test-asan: asan
	ctest --preset asan

lesson: build
	@test -n "$(NAME)" || { echo "usage: make lesson NAME=08_data_race_counter ARGS=--variant=racy"; exit 2; }
	build/dev/lessons/$(NAME) $(ARGS)

list:
	@for f in lessons/[0-9][0-9]_*.cpp; do \
	  n=$$(basename $$f .cpp); \
	  d=$$(head -n 1 $$f | sed -e 's|^// *||'); \
	  v=$$(grep -E "add_lesson\($$n " lessons/CMakeLists.txt | sed -e 's/.*VARIANTS *//' -e 's/ *OPTIMIZED//' -e 's/ *RACY.*//' -e 's/ *ARGS.*//' -e 's/)//'); \
	  printf '%-32s %s\n%-32s variants: %s\n' "$$n" "$$d" "" "$$v"; \
	done

bench: release
	@for b in build/release/bench/*_bench; do echo "== $$b"; $$b || exit 1; done
	@if command -v go >/dev/null && [ -d /usr/share/gocode/src/golang.org/x/sync ]; then echo "== Go twins (bench/go)"; \
	  cd bench/go && GOPROXY=off GOCACHE=$${GOCACHE:-/tmp/gox-gocache} go test -bench . -benchtime 1s; \
	else echo "(Go twins in bench/go skipped: scripts/deps.sh --with-compare installs Go and x/sync)"; fi

compare:
	@scripts/compare.sh

run: build
	build/dev/homework/homework $(ARGS)

race: tsan
	@scripts/race.sh

check-notes: build
	@scripts/check-notes.sh

format:
	@scripts/deps.sh --with-format
	find common lessons homework tests bench -name '*.cpp' -o -name '*.h' | xargs clang-format -i

clean:
	rm -rf build

# Lab mode (README "Lab mode"): lessons/exercises/, judged by scripts/exercise.sh.
exercise: deps
	@scripts/exercise.sh run $(NAME)

exercises: deps
	@scripts/exercise.sh list

exercise-reset:
	@scripts/exercise.sh reset $(NAME)

watch: deps
	@scripts/exercise.sh watch $(NAME)
