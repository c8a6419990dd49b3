# Thin wrapper: the build is meson + ninja; scripts/ does the rest.
BUILD ?= build
DATADIR ?= var

.PHONY: all deps build run check bench fuzz clean

all: build

deps:
	@scripts/deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) --buildtype=debugoptimized -Dwerror=true

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# Set up, build, create a demo trust center under ./var if there is none,
# and serve it on http://127.0.0.1:8080.
run: build
	@test -f $(DATADIR)/kakuin.conf || $(BUILD)/kakuin -d $(DATADIR) init --demo
	@echo "kakuin: open http://127.0.0.1:8080 (Ctrl-C stops)"
	$(BUILD)/kakuin -d $(DATADIR) serve

# Set up, build (also with ASan+UBSan), run every test; ends with
# "N passed, N failed".
check: deps
	@scripts/check

bench: build
	@bench/run

fuzz: deps
	@scripts/fuzz

clean:
	rm -rf $(BUILD) build-asan build-fuzz
