package acl

import "iter"

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

// families are the families a list may have, in the order bindings render.
var families = [...]Family{IPv4, IPv6}

// Binding is a point a list can be bound at on interface management 0: a
// family and a direction (`ip access-group NAME in` binds Binding{IPv4, In}).
// The zero value is IPv4 inbound.
type Binding struct {
	Family Family
	Dir    Dir
}

// Inbound returns the inbound binding of family f.
func Inbound(f Family) Binding { return Binding{Family: f, Dir: In} }

// String returns the binding as its command reads without the list's name:
// "ip access-group in".
func (b Binding) String() string { return b.Family.String() + " access-group " + b.Dir.String() }

// index is b's place in Bindings: families first, then directions, the order
// running-config renders them in.
func (b Binding) index() int { return int(b.Family)*int(numDirs) + int(b.Dir) }

// AllBindings returns every binding point in the order running-config lists
// them (IPv4 in, IPv6 in).
func AllBindings() []Binding {
	out := make([]Binding, 0, len(families)*int(numDirs))
	for _, f := range families {
		for d := range numDirs {
			out = append(out, Binding{f, d})
		}
	}
	return out
}

// Bindings are the access groups on interface management 0, keyed by Binding:
// at most one list each. The zero value binds nothing. Bindings is comparable
// and copied by value (a Config's Clone shares nothing).
type Bindings struct {
	lists [len(families) * int(numDirs)]string
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
