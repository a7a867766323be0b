# cnx-agent: `make demo` runs the whole job on embedded defaults,
# `make test` installs what the tests need (Debian, as root) and runs them.

GO      ?= go
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export PATH := $(PATH):/usr/local/go/bin

# Debian packages the tests use: gcc for the race detector.
TEST_DEBS := gcc libc6-dev

.PHONY: all build demo test vet deps bench clean

all: build

build:
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/cnx-agent .

demo:
	$(GO) run -ldflags "-X main.version=$(VERSION)" . demo

deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing Debian packages:$$missing (run make test as root, or install them)"; exit 1; fi; \
	fi

vet:
	$(GO) vet $(PKGS)

test: deps vet
	$(GO) test -race -timeout 18m $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
