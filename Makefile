# Entry points. Each target installs what it needs first (scripts/deps.sh is a
# no-op when everything is present), so a fresh Debian 12 machine needs nothing else.
BUILD      ?= build
TEST_BUILD ?= build/test
FUZZ_BUILD ?= build/fuzz
FUZZ_SECONDS ?= 20
JOBS       ?= $(shell nproc)
ARGS       ?=

.PHONY: all deps build run test fuzz bench lint format clean package

all: build

deps:
	@bash scripts/deps.sh run

build: deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target srebot

# The release tarball (binary, systemd unit, env example, docs): build/dist/srebot-<version>-<arch>.tar.gz
package: build
	@bash scripts/package.sh $(BUILD)/srebot $(BUILD)/dist

run: build
	@bash scripts/run.sh $(ARGS)

# The test build: ASan + UBSan, -Werror, every unit, integration, lint and
# browser test through ctest (its summary is the last thing printed).
test:
	@bash scripts/deps.sh test
	@bash scripts/web-deps.sh
	@cmake -S . -B $(TEST_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DSREBOT_TESTS=ON -DSREBOT_SANITIZE=ON -DSREBOT_WERROR=ON >/dev/null
	@cmake --build $(TEST_BUILD) -j $(JOBS)
	@cd $(TEST_BUILD) && ctest --output-on-failure --no-tests=error -j $(JOBS) $(ARGS)

fuzz:
	@bash scripts/deps.sh test
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug \
	  -DSREBOT_FUZZ=ON -DSREBOT_SANITIZE=ON >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)
	@bash scripts/fuzz.sh $(FUZZ_BUILD)/fuzz $(FUZZ_SECONDS)

bench: 
	@bash scripts/deps.sh bench
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@bash bench/run.sh $(BUILD)

lint:
	@bash scripts/lint.sh .

format:
	@find src tests bench -name '*.[ch]' | xargs clang-format -i

clean:
	rm -rf build
