# Go: on PATH, else where the official tarball puts it (sudo's secure_path has no
# /usr/local/go/bin, so `sudo make demo` would not find it otherwise).
GO ?= $(or $(shell command -v go 2>/dev/null),$(wildcard /usr/local/go/bin/go),go)
# aclsh is built without cgo: a static binary starts in about half the time of
# one the dynamic loader links (a one-shot `aclsh -c` is mostly its start), and
# user and group names come from /etc and getent (internal/nss). Tests build
# and run the same way.
export CGO_ENABLED = 0
# make install: PREFIX and DESTDIR as usual (DESTDIR=/tmp/stage make install).
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# sshd reads its drop-ins from /etc whatever PREFIX is (Debian's sshd_config
# includes /etc/ssh/sshd_config.d/*.conf).
SSHDCONFDIR ?= /etc/ssh/sshd_config.d
STATEDIR ?= /var/lib/aclsh
# aclsh --version: what git describes (a tag, else the commit; -dirty with
# uncommitted changes), or VERSION=1.2 as given; empty: the build's own version.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

.PHONY: build test bench fuzz demo clean doc install fleet

build:
	$(GO) build $(if $(VERSION),-ldflags "-X main.version=$(VERSION)") -o bin/aclsh ./cmd/aclsh
	$(GO) build -o bin/aclsh-labd ./cmd/aclsh-labd

# The compiled command definitions (cli/defs_gen.go), the manual page and the
# bash completion, generated from the command and flag definitions (the tests
# fail when these files are stale).
doc:
	$(GO) generate ./cli
	$(GO) run ./cmd/aclsh --man >doc/aclsh.8
	$(GO) run ./cmd/aclsh --bash-completion >contrib/aclsh.bash-completion

# The binary to $(SBINDIR), the manual page, the systemd units (their ExecStart
# names $(SBINDIR)/aclsh), the bash completion and the sshd drop-in for CLI-only
# operators (its ForceCommand names $(SBINDIR)/aclsh). It installs what make
# build built (as yourself: sudo's PATH may have no go): make build && sudo make
# install. Without DESTDIR it also creates the system groups aclsh (configure)
# and aclsh-view (read only) if they do not exist; a package build into DESTDIR
# leaves the build machine's groups alone (the package creates them when it is
# installed).
install:
	@test -x bin/aclsh || { echo "make install: no bin/aclsh; run make build first" >&2; exit 1; }
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(SSHDCONFDIR)
	install -m 0755 bin/aclsh $(DESTDIR)$(SBINDIR)/aclsh
	install -m 0644 doc/aclsh.8 $(DESTDIR)$(MANDIR)/man8/aclsh.8
	for u in aclsh-follow.service aclsh.socket; do \
		sed 's|/usr/local/sbin/aclsh|$(SBINDIR)/aclsh|' contrib/$$u >$(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 contrib/aclsh.bash-completion $(DESTDIR)$(BASHCOMPDIR)/aclsh
	sed 's|/usr/local/sbin/aclsh|$(SBINDIR)/aclsh|' contrib/sshd-aclsh.conf >$(DESTDIR)$(SSHDCONFDIR)/aclsh.conf
	chmod 0644 $(DESTDIR)$(SSHDCONFDIR)/aclsh.conf
	install -d -m 2770 $(DESTDIR)$(STATEDIR)
	@if [ -z "$(DESTDIR)" ]; then \
		for g in aclsh aclsh-view; do \
			getent group $$g >/dev/null || { echo "groupadd --system $$g"; groupadd --system $$g; } || exit 1; \
		done; \
		chgrp aclsh $(STATEDIR) && chmod 2770 $(STATEDIR); \
		echo "make install: sshd uses $(SSHDCONFDIR)/aclsh.conf once reloaded: sshd -t && systemctl reload ssh"; \
	else \
		echo "make install: DESTDIR is set: the groups aclsh and aclsh-view are not created (on the target: groupadd --system aclsh; groupadd --system aclsh-view)"; \
	fi

# A throwaway lab in network namespaces with the shell on the device (needs root;
# installs nftables, conntrack and iproute2 if they are missing).
demo: build
	bash scripts/deps.sh demo
	bash scripts/demo.sh

# As root (the kernel tests run too) it first installs the Debian packages they need.
# The real-client tiers (TestFleet: 20 hosts, about 4 minutes on 2 loaded cores)
# outlast go test's default 10 minutes per package.
test:
	@if [ "$$(id -u)" = 0 ]; then bash scripts/deps.sh test; fi
	$(GO) test -count=1 -timeout 45m ./...

# The fleet tier at any size (as root): N hosts, each a network namespace with its
# own sshd (aclsh as ForceCommand) and state directory, driven by ansible-playbook
# with FORKS forks from one controller namespace with the playbooks of
# contrib/ansible (TestFleet; make test runs it with N=20). It logs each
# playbook's wall time and the time per host.
N ?= 20
FORKS ?= 10
fleet:
	@if [ "$$(id -u)" = 0 ]; then bash scripts/deps.sh test; fi
	ACLSH_FLEET_N=$(N) ACLSH_FLEET_FORKS=$(FORKS) $(GO) test -count=1 -timeout 0 -run '^TestFleet$$' -v ./cmd/aclsh

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean:
	rm -rf bin
