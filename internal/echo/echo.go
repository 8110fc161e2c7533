// Package echo holds the line and datagram echo servers of aclsh's lab: the demo's
// device and the kernel tests use them.
package echo

import (
	"bufio"
	"fmt"
	"net"
)

// ServeTCP echoes each line back on every connection ln accepts, until ln is closed.
func ServeTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			sc := bufio.NewScanner(c)
			for sc.Scan() {
				fmt.Fprintf(c, "%s\n", sc.Text())
			}
		}()
	}
}

// ServeUDP sends each datagram back to its sender, until pc is closed.
func ServeUDP(pc net.PacketConn) {
	b := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(b)
		if err != nil {
			return
		}
		pc.WriteTo(b[:n], from)
	}
}
