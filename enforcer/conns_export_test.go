package enforcer

import "context"

// LiveConns exposes liveConns to the kernel tests.
func LiveConns(e *Enforcer) ([]Conn, error) { return e.liveConns() }

// SetMarks exposes setMarks to the kernel tests.
func SetMarks(e *Enforcer, conns []Conn, mark func(Conn) uint32) error {
	return e.setMarks(conns, mark)
}

// WatchTCPEnds exposes watchTCPEnds to the kernel tests.
func WatchTCPEnds(ctx context.Context, e *Enforcer) (<-chan Conn, <-chan error, error) {
	return e.watchTCPEnds(ctx)
}
