package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/enforcer"
	"github.com/aclsh/aclsh/shell"
)

// runBoot makes the startup-config the running-config and has the kernel enforce
// it, as a switch does when it starts (unit aclsh-boot.service, before aclsh
// follow). It commits through the Store, under its lock, like any commit: the new
// running-config is written and synced, then the kernel changed, then the file
// renamed into place. Without a startup-config it keeps the last running-config
// and enforces that. It says what it did on stderr (the journal) and returns 0,
// or 1 when the startup-config could not be made the running-config or nothing
// could be enforced.
//
// guessed says that management 0 was not named (--mgmt-if, ACLSH_MGMT_IF) but
// taken from the default route, which early in the boot may not exist yet.
func runBoot(store *shell.Store, kernel *enforcer.Enforcer, guessed bool, stderr io.Writer) int {
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "aclsh boot: "+format+"\n", args...) }
	if guessed {
		logf("management 0 is %s, the interface of the default route or eth0: name it with ACLSH_MGMT_IF in /etc/default/aclsh, as the default route may not exist yet at boot", kernel.IfName)
	}
	if has, err := kernel.HasInterface(); err == nil && !has {
		// Not an error: nftables matches the interface by name, and a VLAN or bond
		// may be created later in the boot.
		logf("management 0 is Linux interface %s, which does not exist yet: the access lists bound to it apply when it appears (if it never does, name the right one with ACLSH_MGMT_IF in /etc/default/aclsh)", kernel.IfName)
	}
	enforce := func(cfg *acl.Config) error {
		if err := kernel.Apply(cfg); errors.Is(err, enforcer.ErrPermission) {
			return fmt.Errorf("%w: it runs as root, from its unit (aclsh-boot.service); nothing was changed", err)
		} else if err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
		return nil
	}
	// A reboot wins over a pending commit timer or reload: the startup-config
	// becomes the running-config, and nothing rolls back to unsaved lines later.
	dropped, err := store.DropPending()
	if err != nil {
		logf("dropping the pending rollback: %v", err)
	}
	for _, d := range dropped {
		logf("dropped %s: a reboot ends it, the startup-config wins", d)
	}
	cfg, err := store.Replace(shell.FromStartup, nil, enforce)
	if err == nil {
		logf("the startup-config is the running-config now and the kernel enforces it (%s)", summary(cfg))
		return 0
	}
	code := 1
	if errors.Is(err, shell.ErrNoStartup) {
		code = 0
		logf("there is no startup-config in %s (nothing was saved with write memory): keeping the last running-config", store.Dir)
	} else {
		logf("the startup-config was not made the running-config: %v", err)
	}
	// The last running-config, enforced as it is.
	cfg, uerr := store.Update(func(*acl.Config) error { return nil }, enforce)
	if uerr != nil {
		logf("the running-config is not enforced either: %v", uerr)
		return 1
	}
	logf("the kernel enforces the last running-config (%s)", summary(cfg))
	if code != 0 {
		logf("fix the startup-config (show startup-config) or save the running-config over it (write memory)")
	}
	return code
}

// summary describes a config in a few words, for the journal.
func summary(cfg *acl.Config) string {
	lines := 0
	for _, a := range cfg.ACLs {
		lines += a.Len()
	}
	return fmt.Sprintf("%d access list(s), %d line(s); management 0: ip access-group %s, ipv6 access-group %s",
		len(cfg.ACLs), lines, orNone(cfg.Mgmt.IPv4In), orNone(cfg.Mgmt.IPv6In))
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
