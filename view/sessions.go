package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// SessionConfig is show session-config [named NAME] [diffs]: a session's
// candidate config, or its differences from the running-config.
type SessionConfig struct {
	Config
	Name string
	Diff string // diffs: as diff -u prints it
}

func (v *SessionConfig) WriteText(w io.Writer) {
	if v.Diff != "" || v.Cfg == nil {
		io.WriteString(w, v.Diff)
		return
	}
	v.Config.WriteText(w)
}

func (v *SessionConfig) MarshalJSON() ([]byte, error) {
	out := struct {
		Session string      `json:"session"`
		Config  *ConfigData `json:"config,omitempty"`
		Diff    *string     `json:"diff,omitempty"`
	}{Session: v.Name}
	if v.Cfg != nil {
		c := ConfigOf(v.Cfg)
		out.Config = &c
	} else {
		out.Diff = &v.Diff
	}
	return json.Marshal(out)
}

// Sessions is show configuration sessions.
type Sessions struct {
	Sessions []SessionRow `json:"sessions"`
	Reload   *Reload      `json:"reload,omitempty"` // a reload in MINUTES that is scheduled
}

// SessionRow is a session.
type SessionRow struct {
	Name string `json:"name"`
	// State: pending (not committed), changed (pending, and the running-config
	// changed since it started), committed (with a commit timer running) or
	// unreadable.
	State      string `json:"state"`
	RollbackAt string `json:"rollback_at,omitempty"` // committed: when it is rolled back unless confirmed
	User       string `json:"user,omitempty"`
	Created    string `json:"created,omitempty"`
	Current    bool   `json:"current"` // this shell's session
}

// Reload is a reload scheduled.
type Reload struct {
	At string `json:"at"`
	By string `json:"by"`
}

func (v *Sessions) WriteText(w io.Writer) {
	var b strings.Builder
	if len(v.Sessions) == 0 {
		b.WriteString("No configuration sessions\n")
	} else {
		rows := [][]string{{"  Name", "State", "User", "Created"}}
		for _, r := range v.Sessions {
			state := r.State
			switch r.State {
			case "committed":
				state = "committed, rolled back at " + r.RollbackAt + " unless confirmed"
			case "changed":
				state = "pending (running-config changed since)"
			}
			n := "  " + r.Name
			if r.Current {
				n = "* " + r.Name
			}
			rows = append(rows, []string{n, state, r.User, r.Created})
		}
		Table(&b, rows)
	}
	if v.Reload != nil {
		fmt.Fprintf(&b, "Reload scheduled for %s by %s: the startup-config will replace the running-config\n", v.Reload.At, v.Reload.By)
	}
	io.WriteString(w, b.String())
}
