# cnx-agent: `make demo` runs the whole job on embedded defaults,
# `make test` installs what the tests need (Debian, as root) and runs them.

GO      ?= go
PKGS    ?= ./...
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
export PATH := $(PATH):/usr/local/go/bin

# Debian packages the build and tests use: gcc for the race detector and
# cgo (gousb, Fyne), libusb and OpenGL/X11 headers, CUPS (cupsd,
# ippeveprinter) and what ippeveprinter needs to start (D-Bus, Avahi), Xvfb
# and xwd for the tray test, a CJK font for the Chinese dashboard image, and
# MinGW for the Windows build.
BUILD_DEBS := gcc libc6-dev pkg-config libusb-1.0-0-dev libgl1-mesa-dev xorg-dev
TEST_DEBS := $(BUILD_DEBS) cups cups-ipp-utils avahi-daemon dbus xvfb x11-apps gcc-mingw-w64-x86-64 fonts-droid-fallback

.PHONY: all build build-deps demo test vet lint deps services bench clean windows

all: build

build: build-deps
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/cnx-agent .

demo: build-deps
	$(GO) run -ldflags "-X main.version=$(VERSION)" . demo

build-deps:
	@$(MAKE) --no-print-directory deps TEST_DEBS="$(BUILD_DEBS)"

deps:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		else echo "missing Debian packages:$$missing (run make test as root, or install them)"; exit 1; fi; \
	fi

# The Windows build needs cgo for Fyne's OpenGL driver (MinGW); the
# packages without a GUI are vetted for Windows without cgo.
WIN_ENV := GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc

STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
NOGUI       := ./agent/... ./api/... ./printer/... ./i18n/... ./internal/...

# lint is what make test checks besides the tests: gofmt, vet for Windows
# (no cgo) and staticcheck on the packages without the GUI. make test has go
# test run the whole of vet itself (-vet=all) on the race build, so Fyne's
# cgo code is compiled once, not once more for a plain build: that is
# minutes on a cold cache. make vet checks everything.
lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "not gofmt'ed: $$unformatted"; exit 1; fi
	GOOS=windows CGO_ENABLED=0 $(GO) vet ./agent/... ./api/... ./printer/...
	$(GO) run $(STATICCHECK) $(NOGUI)

vet: lint
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

windows:
	@$(MAKE) --no-print-directory deps TEST_DEBS="$(BUILD_DEBS) gcc-mingw-w64-x86-64"
	$(WIN_ENV) $(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/cnx-agent.exe .

# Services the printer tests talk to: D-Bus and Avahi (ippeveprinter will not
# start without them) and cupsd on localhost:631. A pid file left by a daemon
# that is no longer running (a machine image, a kill) is removed first, or
# the daemon refuses to start.
services:
	@if [ "$$(id -u)" = 0 ]; then \
		mkdir -p /run/dbus; \
		dbus-send --system --dest=org.freedesktop.DBus --print-reply / org.freedesktop.DBus.GetId >/dev/null 2>&1 || \
			{ rm -f /run/dbus/pid; dbus-daemon --system --fork; }; \
		avahi-daemon --check 2>/dev/null || { rm -f /run/avahi-daemon/pid; avahi-daemon -D; }; \
		LC_ALL=C lpstat -r 2>/dev/null | grep -q 'scheduler is running' || cupsd; \
	fi

test: deps lint services
	CNX_REQUIRE_TOOLS=1 CNX_ARTIFACTS=$(CURDIR)/test-artifacts $(GO) test -race -vet=all -count=1 -timeout 18m $(PKGS)
	$(WIN_ENV) $(GO) build -o /dev/null .

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean:
	rm -rf bin
