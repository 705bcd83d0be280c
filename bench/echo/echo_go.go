// SPDX-License-Identifier: MIT
// The echo benchmark's Go baseline (bench/echo/compare.sh): the same server
// with Go's net package, a goroutine per connection; run with
// GOMAXPROCS=1.
//
//	$ GOMAXPROCS=1 ./echo_go PORT
package main

import (
	"net"
	"os"
)

func serve(c net.Conn) {
	defer c.Close()
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

func main() {
	port := "7009"
	if len(os.Args) > 1 {
		port = os.Args[1]
	}
	l, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		panic(err)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go serve(c)
	}
}
