package shell

import (
	"fmt"
	"path/filepath"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/internal/follower"
)

// Follower is the follow daemon of the shell's network namespace (`aclsh
// follow`), which keeps connection counts exact: without it a slot held by a
// session that existed before a limit was bound stays taken for up to
// enforcer.PreTimeout after that session ends.
type Follower interface {
	// Probe reports the follow daemon that runs in this network namespace.
	Probe() (follower.Status, bool)
	// Start starts one for the shell's state directory and returns its pid once
	// it answers.
	Start() (pid int, err error)
}

// needsFollow reports whether cfg binds a list with a connlimit line: only then
// do counts need the follow daemon.
func needsFollow(cfg *acl.Config) bool {
	for _, f := range []acl.Family{acl.IPv4, acl.IPv6} {
		if a, ok := cfg.ACLs[cfg.Mgmt.Get(f)]; ok && hasConnLimit(a) {
			return true
		}
	}
	return false
}

// followProblem says why connection counts are not kept exact for this state
// directory ("" when the follow daemon runs for it, or when the shell has no
// Follower to ask); running says whether a follow daemon runs at all.
func (s *Shell) followProblem() (problem string, running bool) {
	if s.opt.Follower == nil {
		return "", false
	}
	st, ok := s.opt.Follower.Probe()
	if !ok {
		return "aclsh follow is not running in this network namespace", false
	}
	if dir, err := filepath.Abs(s.opt.Store.Dir); err == nil && st.StateDir != dir {
		return fmt.Sprintf("aclsh follow (pid %d) runs for state directory %s, not %s", st.PID, st.StateDir, dir), true
	}
	return "", true
}

// ensureFollow starts the follow daemon after a commit that bound a connlimit
// line, when none runs in this network namespace, and says so: the commit that
// needs it starts it, as agents that start on demand do. It says so too when it
// cannot.
func (s *Shell) ensureFollow(cfg *acl.Config) {
	if s.opt.Follower == nil || !needsFollow(cfg) {
		return
	}
	problem, running := s.followProblem()
	switch {
	case problem == "":
		return
	case running:
		fmt.Fprintf(s.opt.Err, "%% Warning: connection counts are not kept exact: %s\n", problem)
		return
	}
	pid, err := s.opt.Follower.Start()
	if err != nil {
		fmt.Fprintf(s.opt.Err, "%% Warning: connection counts are not kept exact: starting aclsh follow failed: %v\n", err)
		return
	}
	fmt.Fprintf(s.opt.Err, "%% Note: started aclsh follow (pid %d), which keeps connection counts exact in this network namespace; its log is %s\n",
		pid, filepath.Join(s.opt.Store.Dir, "run", follower.LogName))
}
