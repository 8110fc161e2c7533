// Command aclsh-labd is the demo lab's helper: small echo servers for the device and
// a client that opens connections and reports which were admitted.
//
//	aclsh-labd serve tcp:22 tcp:80 udp:53
//	aclsh-labd connect [-n N] [-src ADDR] [-hold DURATION] HOST:PORT
//	aclsh-labd udp [-n N] [-src ADDR] HOST:PORT
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aclsh/aclsh/internal/echo"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: aclsh-labd serve PROTO:PORT... | connect [-n N] [-src ADDR] [-hold D] HOST:PORT | udp [-n N] [-src ADDR] HOST:PORT")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "connect", "udp":
		os.Exit(connect(os.Args[1], os.Args[2:]))
	default:
		fmt.Fprintf(os.Stderr, "aclsh-labd: unknown command %q\n", os.Args[1])
		os.Exit(2)
	}
}

func serve(specs []string) {
	for _, s := range specs {
		proto, port, _ := strings.Cut(s, ":")
		switch proto {
		case "tcp":
			ln, err := net.Listen("tcp", ":"+port)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			go echo.ServeTCP(ln)
		case "udp":
			pc, err := net.ListenPacket("udp", ":"+port)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			go echo.ServeUDP(pc)
		}
	}
	select {}
}

func connect(kind string, args []string) int {
	fs := flag.NewFlagSet(kind, flag.ExitOnError)
	n := fs.Int("n", 1, "connections to open in parallel")
	src := fs.String("src", "", "source address")
	hold := fs.Duration("hold", 3*time.Second, "how long to keep admitted connections open")
	fs.Parse(args)
	if fs.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "need HOST:PORT")
		return 2
	}
	network := "tcp"
	if kind == "udp" {
		network = "udp"
	}
	var mu sync.Mutex
	var admitted []net.Conn
	var wg sync.WaitGroup
	for range *n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := net.Dialer{Timeout: time.Second}
			if *src != "" {
				if network == "tcp" {
					d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(*src)}
				} else {
					d.LocalAddr = &net.UDPAddr{IP: net.ParseIP(*src)}
				}
			}
			c, err := d.Dial(network, fs.Arg(0))
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(time.Second))
			fmt.Fprintln(c, "ping")
			if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
				c.Close()
				return
			}
			c.SetDeadline(time.Time{})
			mu.Lock()
			admitted = append(admitted, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	fmt.Printf("%d of %d %s connections to %s admitted\n", len(admitted), *n, network, fs.Arg(0))
	time.Sleep(*hold)
	for _, c := range admitted {
		c.Close()
	}
	return 0
}
