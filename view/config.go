package view

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aclsh/aclsh/acl"
)

// FamilyName is a family as JSON names it: "ipv4" or "ipv6".
func FamilyName(f acl.Family) string { return strings.ToLower(f.Name()) }

// Entry is an access list entry as configured.
type Entry struct {
	Seq             uint32     `json:"seq"`
	Action          string     `json:"action"` // permit, deny or remark
	Remark          string     `json:"remark,omitempty"`
	Text            string     `json:"text"` // the line as the running-config has it
	Protocol        string     `json:"protocol,omitempty"`
	Source          string     `json:"source,omitempty"`
	SourcePort      string     `json:"source_port,omitempty"`
	Destination     string     `json:"destination,omitempty"`
	DestinationPort string     `json:"destination_port,omitempty"`
	ICMP            *ICMP      `json:"icmp,omitempty"` // icmp lines with a type
	Established     bool       `json:"established,omitempty"`
	ConnLimit       *ConnLimit `json:"connlimit,omitempty"`
	Log             bool       `json:"log,omitempty"`
}

// ConnLimit is a line's connlimit condition.
type ConnLimit struct {
	Limit   int `json:"limit"`
	MaskLen int `json:"mask_length"`
	Sources int `json:"sources"`
}

// EntryOf is the entry of rule r of a list of family f.
func EntryOf(r acl.Rule, f acl.Family) Entry {
	e := Entry{Seq: uint32(r.Seq), Text: r.Format(f)}
	if r.IsRemark() {
		e.Action, e.Remark = "remark", r.Remark
		return e
	}
	e.Action = r.Action.String()
	e.Protocol = r.Proto.Format(f)
	e.Source, e.Destination = r.Src.String(), r.Dst.String()
	if r.SrcPort.Op != acl.PortAny {
		e.SourcePort = r.SrcPort.String()
	}
	if r.DstPort.Op != acl.PortAny {
		e.DestinationPort = r.DstPort.String()
	}
	if r.ICMP.Set {
		e.ICMP = &ICMP{Type: int(r.ICMP.Type), Name: r.ICMP.Format(f)}
		if r.ICMP.CodeSet {
			c := int(r.ICMP.Code)
			e.ICMP.Code = &c
		}
	}
	e.Established, e.Log = r.Established, r.Log
	if r.ConnLimit > 0 {
		e.ConnLimit = &ConnLimit{Limit: int(r.ConnLimit), MaskLen: r.ConnMask.Len(f), Sources: r.Sources()}
	}
	return e
}

// ICMP is an icmp line's type condition: `echo` is {type 8, name "echo"},
// `3 4` {type 3, code 4, name "3 4"}.
type ICMP struct {
	Type int    `json:"type"`
	Code *int   `json:"code,omitempty"`
	Name string `json:"name"` // as the line writes it
}

// ConfigData is a config as data: what `show running-config | json` gives.
type ConfigData struct {
	LoggingIntervalMs uint32      `json:"logging_interval_ms"`
	AccessLists       []ACLConfig `json:"access_lists"`
	AccessGroups      []Group     `json:"access_groups"`
}

// ACLConfig is an access list as configured.
type ACLConfig struct {
	Name     string  `json:"name"`
	Family   string  `json:"family"`
	Standard bool    `json:"standard,omitempty"` // a standard list
	Entries  []Entry `json:"entries"`
}

// Group is an access list bound to an interface.
type Group struct {
	Interface  string `json:"interface"`
	Family     string `json:"family"`
	AccessList string `json:"access_list"`
	Direction  string `json:"direction"`
}

// ConfigOf is cfg as data.
func ConfigOf(cfg *acl.Config) ConfigData {
	c := ConfigData{LoggingIntervalMs: cfg.LogInterval.Millis(), AccessLists: []ACLConfig{}, AccessGroups: []Group{}}
	for _, n := range cfg.Names() {
		a := cfg.ACLs[n]
		l := ACLConfig{Name: a.Name, Family: FamilyName(a.Family), Standard: a.Standard, Entries: []Entry{}}
		for _, r := range a.Entries() {
			l.Entries = append(l.Entries, EntryOf(r, a.Family))
		}
		c.AccessLists = append(c.AccessLists, l)
	}
	for at, n := range cfg.Bound.All() {
		c.AccessGroups = append(c.AccessGroups, Group{Interface: "management 0", Family: FamilyName(at.Family), AccessList: n, Direction: at.Dir.String()})
	}
	return c
}

// Config is a config: its canonical text, or its data.
type Config struct {
	Cfg  *acl.Config
	Text string // Cfg's rendering (or, for the startup-config, the file as saved)
	Note string // the config differs from the startup-config ("" when not)
}

func (v *Config) WriteText(w io.Writer) { io.WriteString(w, v.Text) }
func (v *Config) NoteLine() string      { return v.Note }

func (v *Config) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		ConfigData
		Note string `json:"note,omitempty"`
	}{ConfigOf(v.Cfg), strings.TrimLeft(v.Note, "!% ")})
}

// Startup is show startup-config: the file as saved, as data when it loads.
type Startup struct {
	Config
	Err error // the startup-config does not load
	// Missing: nothing was saved (write memory). The text says so as IOS does,
	// without an error (Ansible's and netmiko's error patterns catch `% Error`);
	// the JSON is an empty config with that note.
	Missing bool
}

// NoStartupText is show startup-config where nothing was saved.
const NoStartupText = "startup-config is not present"

func (v *Startup) WriteText(w io.Writer) {
	if v.Missing {
		io.WriteString(w, NoStartupText+"\n")
		return
	}
	v.Config.WriteText(w)
}

func (v *Startup) MarshalJSON() ([]byte, error) {
	if v.Missing {
		return json.Marshal(struct {
			ConfigData
			Note string `json:"note"`
		}{ConfigOf(v.Cfg), NoStartupText})
	}
	if v.Err != nil {
		return nil, fmt.Errorf("the startup-config does not load: %w", v.Err)
	}
	return v.Config.MarshalJSON()
}
