package main

import (
	"fmt"
	"net"
	"strings"
)

// publicURL is the address agents reach the relay at, for the connection
// strings `agent add` prints and the demo CRM's address: -public-url when
// set, else the address the relay listens on (addr, host:port), with
// scheme.
//
// A relay listening on every interface (0.0.0.0, [::], or no host) has no
// address of its own to give: http://[::]:8088 reaches nothing from an
// agent's browser, and which of the machine's addresses the agents can
// reach only the administrator knows. Then publicURL fails, saying to set
// -public-url, and the caller prints no connection string rather than an
// unusable one. (The relay still starts: listening everywhere behind a
// proxy on another host is legitimate; only its address is unknown.)
func publicURL(configured, scheme, addr string) (string, error) {
	if configured != "" {
		return strings.TrimRight(configured, "/"), nil
	}
	if everyInterface(addr) {
		_, port, _ := net.SplitHostPort(addr)
		return "", fmt.Errorf("the relay listens on every interface (%s), which is no address an agent can use: set -public-url to the address agents reach it at, e.g. -public-url http://192.0.2.10:%s (this machine's address on your network) or https://relay.example.com (a reverse proxy)", addr, port)
	}
	return scheme + "://" + addr, nil
}

// everyInterface reports whether addr (host:port) listens on every
// interface: no host, 0.0.0.0 or [::].
func everyInterface(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsUnspecified()
}

// localURL is the address this machine reaches a relay listening on addr
// at: addr itself, or, listening on every interface, loopback on its
// port. It is for what only the person at this machine uses (the demo
// CRM of `make run`), never for connection strings.
func localURL(scheme, addr string) string {
	if everyInterface(addr) {
		_, port, _ := net.SplitHostPort(addr)
		return scheme + "://127.0.0.1:" + port
	}
	return scheme + "://" + addr
}
