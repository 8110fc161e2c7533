package view

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aclsh/aclsh/grammar"
	"github.com/aclsh/aclsh/internal/clock"
)

// Users is show users: the aclsh shells open on this host.
type Users struct {
	Users []User `json:"users"`
}

// User is a shell open.
type User struct {
	User    string    `json:"user"`
	PID     int       `json:"pid"`
	From    string    `json:"from"` // the SSH client address, or the terminal (pts/3, console)
	Since   time.Time `json:"since"`
	Current bool      `json:"current"` // this shell
}

func (v *Users) WriteText(w io.Writer) {
	var b strings.Builder
	rows := [][]string{{"  User", "PID", "From", "Since"}}
	for _, u := range v.Users {
		mark := "  "
		if u.Current {
			mark = "* "
		}
		// Records are files other operators of the group can write: what they
		// hold reaches this terminal only escaped.
		rows = append(rows, []string{mark + grammar.Printable(u.User), strconv.Itoa(u.PID), grammar.Printable(u.From), clock.Show(u.Since)})
	}
	Table(&b, rows)
	io.WriteString(w, b.String())
}
