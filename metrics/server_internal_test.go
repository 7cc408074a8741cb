package metrics

import (
	"net"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	for _, c := range []struct {
		ip   string
		want bool
	}{
		{"127.0.0.1", true},
		{"127.1.2.3", true},
		{"::1", true},
		{"0.0.0.0", false},
		{"::", false},
		{"192.168.1.10", false},
		{"2001:db8::1", false},
	} {
		addr := &net.TCPAddr{IP: net.ParseIP(c.ip), Port: 9560}
		if got := isLoopback(addr); got != c.want {
			t.Errorf("isLoopback(%v) = %v, want %v", addr, got, c.want)
		}
	}
	if isLoopback(&net.UnixAddr{Name: "/tmp/x", Net: "unix"}) {
		t.Error("a unix socket counts as loopback")
	}
}
