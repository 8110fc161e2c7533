package acl

import (
	"fmt"
	"iter"
)

// Dir is the direction of the traffic a bound list filters. The zero value is In.
type Dir uint8

const (
	In Dir = iota // packets arriving on the interface for this host
	numDirs
)

// String returns the CLI keyword of the direction: "in".
func (d Dir) String() string {
	switch d {
	case In:
		return "in"
	}
	return "dir?"
}

// Point is where a list is bound: what traffic it decides. The zero value is
// Mgmt. Packets are looked at in the order of the points (Mgmt, ControlPlane,
// VTY), and a packet must be permitted at every point that looks at it: a
// deny (or a list's implicit deny) at any of them drops it.
type Point uint8

const (
	// Mgmt is interface management 0: every packet arriving on the Linux
	// interface behind it.
	Mgmt Point = iota
	// ControlPlane is the host itself (EOS system control-plane, SLX ip
	// receive access-group): every packet arriving for the host on any
	// interface but loopback.
	ControlPlane
	// VTY is the login service (IOS and NX-OS line vty with access-class, EOS
	// management ssh): new connections to the host's SSH port(s) on any
	// interface. Other traffic, and SSH sessions already open, are not its.
	VTY
	numPoints
)

// points are the points in the order packets are looked at and running-config
// renders them.
var points = [...]Point{Mgmt, ControlPlane, VTY}

// String returns the point's configuration mode as running-config writes it.
func (p Point) String() string {
	switch p {
	case Mgmt:
		return "interface management 0"
	case ControlPlane:
		return "system control-plane"
	case VTY:
		return "line vty"
	}
	return "point?"
}

// short names the point in show output: "management 0", "control-plane",
// "line vty".
func (p Point) short() string {
	switch p {
	case Mgmt:
		return "management 0"
	case ControlPlane:
		return "control-plane"
	}
	return p.String()
}

// families are the families a list may have, in the order bindings render.
var families = [...]Family{IPv4, IPv6}

// Binding is a place a list can be bound at: a point, a family and a direction
// (`ip access-group NAME in` under interface management 0 binds
// Binding{Mgmt, IPv4, In}). The zero value is IPv4 inbound on management 0.
type Binding struct {
	Point  Point
	Family Family
	Dir    Dir
}

// Inbound returns the inbound binding of family f on management 0.
func Inbound(f Family) Binding { return Binding{Family: f, Dir: In} }

// At returns the inbound binding of family f at point p.
func At(p Point, f Family) Binding { return Binding{Point: p, Family: f, Dir: In} }

// String returns the binding as its command reads without the list's name:
// "ip access-group in" (management 0, control-plane), "access-class in" and
// "ipv6 access-class in" (line vty).
func (b Binding) String() string {
	if b.Point == VTY {
		if b.Family == IPv6 {
			return "ipv6 access-class " + b.Dir.String()
		}
		return "access-class " + b.Dir.String()
	}
	return b.Family.String() + " access-group " + b.Dir.String()
}

// word is the binding's command: "ip access-group", "access-class".
func (b Binding) word() string {
	if b.Point == VTY {
		if b.Family == IPv6 {
			return "ipv6 access-class"
		}
		return "access-class"
	}
	return b.Family.String() + " access-group"
}

// Line returns the line that binds list name at b, as running-config writes
// it under the point's mode: "ip access-group NAME in", "access-class NAME in".
func (b Binding) Line(name string) string {
	if b.Point == VTY {
		if b.Family == IPv6 {
			return "ipv6 access-class " + name + " " + b.Dir.String()
		}
		return "access-class " + name + " " + b.Dir.String()
	}
	return fmt.Sprintf("%s access-group %s %s", b.Family, name, b.Dir)
}

// Where names the binding's place in show output: "management 0 in",
// "control-plane in", "line vty in".
func (b Binding) Where() string { return b.Point.short() + " " + b.Dir.String() }

// index is b's place in Bindings: points first, then families, then
// directions, the order running-config renders them in.
func (b Binding) index() int {
	return (int(b.Point)*len(families)+int(b.Family))*int(numDirs) + int(b.Dir)
}

// AllBindings returns every binding in the order running-config lists them
// (management 0 IPv4 in, IPv6 in; control-plane; line vty).
func AllBindings() []Binding {
	out := make([]Binding, 0, int(numPoints)*len(families)*int(numDirs))
	for _, p := range points {
		for _, f := range families {
			for d := range numDirs {
				out = append(out, Binding{p, f, d})
			}
		}
	}
	return out
}

// Bindings are the bound lists, keyed by Binding: at most one list each. The
// zero value binds nothing. Bindings is comparable and copied by value (a
// Config's Clone shares nothing).
type Bindings struct {
	lists [int(numPoints) * len(families) * int(numDirs)]string
}

// Get returns the list bound at b; "" if none.
func (bs Bindings) Get(b Binding) string { return bs.lists[b.index()] }

func (bs *Bindings) set(b Binding, name string) { bs.lists[b.index()] = name }

// IsZero reports whether no list is bound.
func (bs Bindings) IsZero() bool { return bs == Bindings{} }

// All yields the bound lists, binding and name, in the order of AllBindings.
func (bs Bindings) All() iter.Seq2[Binding, string] {
	return func(yield func(Binding, string) bool) {
		for _, b := range AllBindings() {
			if n := bs.Get(b); n != "" && !yield(b, n) {
				return
			}
		}
	}
}

// Of returns the bindings a list of family f named name is bound at.
func (bs Bindings) Of(f Family, name string) []Binding {
	var out []Binding
	for b, n := range bs.All() {
		if b.Family == f && n == name {
			out = append(out, b)
		}
	}
	return out
}

// AtPoint reports whether a list is bound at point p.
func (bs Bindings) AtPoint(p Point) bool {
	for b := range bs.All() {
		if b.Point == p {
			return true
		}
	}
	return false
}
