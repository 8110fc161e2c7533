package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/internal/follower"
)

// BootKernel is what the boot step needs of the kernel: to enforce a config,
// and the Linux interface behind management 0 and whether it exists yet.
type BootKernel interface {
	Apply(cfg *acl.Config) error
	Interface() string
	HasInterface() (bool, error)
}

// Boot is the boot step: what a switch does when it starts, done by the
// daemon at its first start after the host booted (Step), or by `aclsh boot`
// where no daemon runs (Run). It says what it did on Log (the journal).
type Boot struct {
	Store  *Store
	Kernel BootKernel
	// Guessed says that management 0 was not named (--mgmt-if, ACLSH_MGMT_IF)
	// but taken from the default route, which early in the boot may not exist
	// yet.
	Guessed bool
	Log     io.Writer
}

func (b Boot) logf(format string, args ...any) {
	fmt.Fprintf(b.Log, "aclsh boot: "+format+"\n", args...)
}

// Run makes the startup-config the running-config and has the kernel enforce
// it. It commits through the Store, under its lock, like any commit: the new
// running-config is written and synced, then the kernel changed, then the file
// renamed into place. Without a startup-config it keeps the last running-config
// and enforces that. It returns 0, or 1 when the startup-config could not be
// made the running-config or nothing could be enforced.
func (b Boot) Run() (rc int) {
	store := b.Store
	// Recorded only when done: a boot step that failed is tried again by the
	// next start of the daemon (a restart after the cause was fixed).
	defer func() {
		if rc != 0 {
			return
		}
		if err := recordBoot(store.Dir); err != nil {
			b.logf("recording the boot step: %v", err)
		}
	}()
	if b.Guessed {
		b.logf("management 0 is %s, the interface of the default route or eth0: name it with ACLSH_MGMT_IF in /etc/default/aclsh, as the default route may not exist yet at boot", b.Kernel.Interface())
	}
	if has, err := b.Kernel.HasInterface(); err == nil && !has {
		// Not an error: nftables matches the interface by name, and a VLAN or bond
		// may be created later in the boot.
		b.logf("management 0 is Linux interface %s, which does not exist yet: the access lists bound to it apply when it appears (if it never does, name the right one with ACLSH_MGMT_IF in /etc/default/aclsh)", b.Kernel.Interface())
	}
	enforce := func(cfg *acl.Config) error {
		if err := b.Kernel.Apply(cfg); errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("%w: it runs as root (the daemon's unit, aclsh-follow.service, does this step); nothing was changed", err)
		} else if err != nil {
			return fmt.Errorf("%w; nothing was changed", err)
		}
		return nil
	}
	// A reboot wins over a pending commit timer or reload: the startup-config
	// becomes the running-config, and nothing rolls back to unsaved lines later.
	b.dropPending()
	cfg, err := store.Replace(FromStartup, nil, enforce)
	if err == nil {
		b.logf("the startup-config is the running-config now and the kernel enforces it (%s)", summary(cfg))
		return 0
	}
	code := 1
	if errors.Is(err, ErrNoStartup) {
		code = 0
		b.logf("there is no startup-config in %s (nothing was saved with write memory): keeping the last running-config", store.Dir)
	} else {
		b.logf("the startup-config was not made the running-config: %v", err)
	}
	// The last running-config, enforced as it is.
	cfg, uerr := store.Update(func(*acl.Config) error { return nil }, enforce)
	if uerr != nil {
		b.logf("the running-config is not enforced either: %v", uerr)
		return 1
	}
	b.logf("the kernel enforces the last running-config (%s)", summary(cfg))
	if code != 0 {
		b.logf("fix the startup-config (show startup-config) or save the running-config over it (write memory)")
	}
	return code
}

// dropPending drops a pending commit-timer rollback or reload, saying which.
func (b Boot) dropPending() {
	dropped, err := b.Store.DropPending()
	if err != nil {
		b.logf("dropping the pending rollback: %v", err)
	}
	for _, d := range dropped {
		b.logf("dropped %s: a reboot ends it, the startup-config wins", d)
	}
}

// Step is the daemon's boot step, at its first start after the host booted:
// Run when there is a startup-config; without one the pending rollback is
// dropped all the same and the running-config stays (enforced before the
// daemon says it is ready), and nothing is written on a fresh host.
func (b Boot) Step() {
	if _, err := b.Store.Startup(); !errors.Is(err, ErrNoStartup) {
		b.Run()
		return
	}
	b.dropPending()
	// The running-config stays; the kernel enforces it before the daemon says
	// it is ready (and the network comes up), written nowhere.
	if err := b.Store.View(b.Kernel.Apply); err != nil {
		b.logf("the running-config is not enforced: %v", err)
		return
	}
	if err := recordBoot(b.Store.Dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		b.logf("recording the boot step: %v", err)
	}
}

// summary describes a config in a few words, for the journal.
func summary(cfg *acl.Config) string {
	lines := 0
	for _, a := range cfg.ACLs {
		lines += a.Len()
	}
	var bound []string
	for b, name := range cfg.Bound.All() {
		bound = append(bound, b.Point.String()+": "+b.Line(name))
	}
	if len(bound) == 0 {
		bound = []string{"no list bound"}
	}
	return fmt.Sprintf("%d access list(s), %d line(s); %s", len(cfg.ACLs), lines, strings.Join(bound, ", "))
}

// bootIDName is the file in the state directory's run/ that holds the kernel's
// boot id of the last boot step: the daemon does the step at its first start
// after the host booted, and not when it is merely restarted.
const bootIDName = "boot-id"

// bootID is this boot's id, as the kernel gives it ("" if it does not).
func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// BootDone reports whether the boot step ran in this boot of the host for the
// state directory stateDir.
func BootDone(stateDir string) bool {
	b, err := os.ReadFile(filepath.Join(stateDir, "run", bootIDName))
	id := bootID()
	return err == nil && id != "" && strings.TrimSpace(string(b)) == id
}

// recordBoot records that the boot step ran in this boot.
func recordBoot(stateDir string) error {
	id := bootID()
	if id == "" {
		return nil
	}
	return follower.WriteRunFile(stateDir, bootIDName, id+"\n")
}
