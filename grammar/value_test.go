package grammar

import (
	"reflect"
	"time"

	"github.com/aclsh/aclsh/acl"
)

// The values lines build are package cli's, which this package's tests
// cannot name (cli imports grammar): they read them by their type's name and
// fields.

// Kind names the type of the value a line built: "AddRule", "" for a blank
// line or a comment.
type Kind = string

// The types of the values, by what the lines do.
const (
	KindNone         Kind = ""
	Configure        Kind = "Configure"
	Exit             Kind = "Exit"
	End              Kind = "End"
	Do               Kind = "Do"
	ShowRunning      Kind = "ShowRunning"
	WriteTerminal    Kind = "ShowRunning" // write terminal is show running-config
	ShowACLs         Kind = "ShowACLs"
	ClearCounters    Kind = "ClearCounters"
	WriteMemory      Kind = "WriteMemory"
	CopyToRunning    Kind = "CopyToRunning"
	EnterACL         Kind = "EnterACL"
	DeleteACL        Kind = "DeleteACL"
	EnterInterface   Kind = "EnterInterface"
	AddRule          Kind = "AddRule"
	DeleteRule       Kind = "DeleteRule"
	DeleteSeq        Kind = "DeleteSeq"
	Resequence       Kind = "Resequence"
	BindACL          Kind = "Bind"
	UnbindACL        Kind = "Unbind"
	LogInterval      Kind = "LogInterval"
	NumberedRule     Kind = "NumberedLine"
	NoMeaning        Kind = "NoMeaning"
	TestACL          Kind = "TestACL"
	LintACLs         Kind = "Lint"
	ConfigureSession Kind = "ConfigureSession"
	SessionCommit    Kind = "Commit"
	SessionAbort     Kind = "Abort"
	ShowSession      Kind = "ShowSessionConfig"
	ShowSessions     Kind = "ShowSessions"
	ReloadIn         Kind = "ReloadIn"
	ReloadCancel     Kind = "ReloadCancel"
)

func (c Command) kind() Kind {
	if c.Value == nil {
		return KindNone
	}
	return reflect.TypeOf(c.Value).Name()
}

// field returns the value's field name (a promoted one included), and false
// when it has none.
func (c Command) field(name string) (reflect.Value, bool) {
	if c.Value == nil {
		return reflect.Value{}, false
	}
	f := reflect.ValueOf(c.Value).FieldByName(name)
	return f, f.IsValid()
}

func (c Command) rule() acl.Rule {
	f, ok := c.field("Rule")
	if !ok {
		return acl.Rule{}
	}
	return f.Interface().(acl.Rule)
}

// family is the family of a rule's list mode, or the one a line names.
func (c Command) family() acl.Family {
	if f, ok := c.field("Family"); ok {
		return f.Interface().(acl.Family)
	}
	return c.Mode.Family()
}

// name is the name a line gives: a list's, a session's, where copy copies from.
func (c Command) name() string {
	for _, name := range []string{"Name", "From"} {
		if f, ok := c.field(name); ok {
			return f.String()
		}
	}
	return ""
}

func (c Command) seq() acl.Seq {
	f, ok := c.field("Seq")
	if !ok {
		return 0
	}
	return f.Interface().(acl.Seq)
}

func (c Command) packet() acl.Packet {
	f, ok := c.field("Packet")
	if !ok {
		return acl.Packet{}
	}
	return f.Interface().(acl.Packet)
}

func (c Command) sub() Command {
	f, _ := c.field("Sub")
	return f.Interface().(Command)
}

// num is the number a line gives: the logging interval, a commit timer in
// seconds, a reload's minutes; 1 for diffs and lint detail.
func (c Command) num() int {
	for _, name := range []string{"MS", "Minutes"} {
		if f, ok := c.field(name); ok && f.CanUint() {
			return int(f.Uint())
		} else if ok {
			return int(f.Int())
		}
	}
	if f, ok := c.field("Timer"); ok {
		return int(f.Interface().(time.Duration) / time.Second)
	}
	for _, name := range []string{"Diffs", "Detail"} {
		if f, ok := c.field(name); ok && f.Bool() {
			return 1
		}
	}
	return 0
}
