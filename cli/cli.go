package cli

import (
	"time"

	"github.com/aclsh/aclsh/acl"
	"github.com/aclsh/aclsh/grammar"
)

// A command is a value that carries its behaviour, of one of four kinds:
//
//   - Change: a configuration change, Apply(*acl.Config) (acl.go, interface.go);
//   - Enter: a mode change, Next(*Txn) (mode.go, acl.go, interface.go);
//   - Show: a view of something, View(Env) (show.go, session.go, users.go);
//   - Action: what the shell carries out, Run(Shell) (exec.go).
//
// Of builds the value of a parsed line: the one place that reads a
// grammar.Kind. The shell has one type switch over the four kinds.
type Command interface{ command() }

// Change is a configuration change. Applying the same change to the same config
// gives the same result, so a script can be re-applied to a config another shell
// changed meanwhile.
type Change interface {
	Command
	Apply(cfg *acl.Config) error
}

// Enter moves a Txn to another mode. A value that is also a Change (entering a
// list that does not exist creates it) returns the change to make, nil if none.
type Enter interface {
	Command
	Next(t *Txn) (Change, error)
}

// Of returns the value of a parsed command; list is the access list whose mode
// it was typed in ("" outside one). A Kind nothing gives a value to is nil (the
// shell refuses it: TestEveryDefinitionBuildsOne).
func Of(cmd grammar.Command, list string) Command {
	switch cmd.Kind {
	case grammar.KindNone:
		return None{}
	// Modes (mode.go).
	case grammar.Configure:
		return Configure{}
	case grammar.End:
		return End{}
	case grammar.Exit:
		return Exit{}
	// Access lists (acl.go).
	case grammar.EnterACL:
		return EnterACL{Name: cmd.Name, Family: cmd.Family, Standard: cmd.Standard}
	case grammar.DeleteACL:
		return DeleteACL{Name: cmd.Name, Family: cmd.Family, Standard: cmd.Standard}
	case grammar.NumberedRule:
		return NumberedLine{Name: cmd.Name, Standard: cmd.Standard, Rule: cmd.Rule}
	case grammar.AddRule:
		return AddRule{List: list, Rule: cmd.Rule}
	case grammar.DeleteRule:
		return DeleteRule{List: list, Rule: cmd.Rule}
	case grammar.DeleteSeq:
		return DeleteSeq{List: list, Seq: cmd.Seq}
	case grammar.Resequence:
		return Resequence{List: list, Start: cmd.Start, Step: cmd.Step}
	case grammar.LogInterval:
		return LogInterval{MS: uint32(cmd.Num)}
	case grammar.CLIDialect:
		d, _ := acl.ParseDialect(cmd.Name) // "": the default
		return SetDialect{Dialect: d}
	// The management interface (interface.go).
	case grammar.EnterInterface:
		return EnterInterface{Num: cmd.Num, Name: cmd.Name}
	case grammar.NoMeaning:
		return NoMeaning{}
	case grammar.BindACL:
		return Bind{At: acl.At(cmd.Point, cmd.Family), Name: cmd.Name}
	case grammar.UnbindACL:
		return Unbind{At: acl.At(cmd.Point, cmd.Family), Name: cmd.Name}
	case grammar.EnterLineVTY:
		return EnterPoint{Mode: grammar.LineVTY}
	case grammar.EnterMgmtSSH:
		return EnterPoint{Mode: grammar.MgmtSSH}
	case grammar.EnterCtrlPlane:
		return EnterPoint{Mode: grammar.CtrlPlane}
	// Show commands (show.go, session.go, users.go).
	case grammar.ShowRunning, grammar.WriteTerminal:
		return ShowRunning{}
	case grammar.ShowRunningACL:
		return ShowRunningACL{Name: cmd.Name}
	case grammar.ShowStartup:
		return ShowStartup{}
	case grammar.ShowACLs:
		return ShowACLs{Select: SelectOf(cmd)}
	case grammar.ShowACLSummary:
		return ShowSummary{Select: SelectOf(cmd)}
	case grammar.ShowInterface:
		return ShowInterface{Num: cmd.Num}
	case grammar.ShowInterfaceBrief:
		return ShowInterfaceBrief{}
	case grammar.Enable:
		return Enable{}
	case grammar.Disable:
		return Disable{}
	case grammar.ShowClock:
		return ShowClock{}
	case grammar.ShowVersion:
		return ShowVersion{}
	case grammar.ShowHostname:
		return ShowHostname{}
	case grammar.ShowHistory:
		return ShowHistory{}
	case grammar.ShowUsers:
		return ShowUsers{}
	case grammar.ShowSession:
		return ShowSessionConfig{Name: cmd.Name, Diffs: cmd.Num == 1}
	case grammar.ShowSessions:
		return ShowSessions{}
	// What the shell does itself (exec.go).
	case grammar.Do:
		if cmd.Sub == nil {
			return nil
		}
		return Do{Sub: *cmd.Sub}
	case grammar.TerminalLength, grammar.TerminalWidth:
		return TerminalLength{}
	case grammar.WriteMemory:
		return WriteMemory{}
	case grammar.ClearCounters:
		return ClearCounters{Select: SelectOf(cmd)}
	case grammar.CopyToRunning:
		return CopyToRunning{From: cmd.Name}
	case grammar.RestoreKernel:
		return RestoreKernel{}
	case grammar.TestACL:
		return TestACL{Cmd: cmd}
	case grammar.LintACLs:
		return Lint{Cmd: cmd}
	// Configuration sessions, commit timers and reload (exec.go).
	case grammar.ConfigureSession:
		return ConfigureSession{Name: cmd.Name}
	case grammar.SessionCommit:
		return Commit{Timer: time.Duration(cmd.Num) * time.Second}
	case grammar.SessionAbort:
		return Abort{}
	case grammar.RollbackClean:
		return RollbackClean{}
	case grammar.ReloadIn:
		return ReloadIn{Minutes: cmd.Num}
	case grammar.ReloadCancel:
		return ReloadCancel{}
	}
	return nil
}

// None is an empty line (or a comment): it does nothing.
type None struct{}

func (None) command() {}

// Select is the lists a show or clear command names: one by name, else those
// of a family (FamilyGiven), else all.
type Select struct {
	Name        string
	Family      acl.Family
	FamilyGiven bool
}

// SelectOf is the selection a parsed command makes.
func SelectOf(cmd grammar.Command) Select {
	return Select{Name: cmd.Name, Family: cmd.Family, FamilyGiven: cmd.FamilyGiven}
}
