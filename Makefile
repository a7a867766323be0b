# cnx-agent: `make demo` runs the whole job on embedded defaults,
# `make test` installs what the tests need (Debian, as root) and runs them.

GO      ?= go
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export PATH := $(PATH):/usr/local/go/bin

# Debian packages the tests use: gcc for the race detector and cgo (gousb),
# libusb headers, CUPS (cupsd, ippeveprinter) and what ippeveprinter needs
# to start (D-Bus, Avahi).
TEST_DEBS := gcc libc6-dev pkg-config libusb-1.0-0-dev cups cups-ipp-utils avahi-daemon dbus

.PHONY: all build demo test vet deps services bench clean

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
	GOOS=windows CGO_ENABLED=0 $(GO) vet $(PKGS)

# Services the printer tests talk to: D-Bus and Avahi (ippeveprinter will not
# start without them) and cupsd on localhost:631.
services:
	@if [ "$$(id -u)" = 0 ]; then \
		mkdir -p /run/dbus; \
		pgrep -x dbus-daemon >/dev/null || dbus-daemon --system --fork; \
		pgrep -x avahi-daemon >/dev/null || avahi-daemon -D || true; \
		pgrep -x cupsd >/dev/null || cupsd; \
	fi

test: deps vet services
	CNX_REQUIRE_PRINTERS=1 $(GO) test -race -timeout 18m $(PKGS)
	GOOS=windows CGO_ENABLED=0 $(GO) build -o /dev/null .

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
