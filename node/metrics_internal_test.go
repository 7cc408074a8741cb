package node

import (
	"math"
	"strings"
	"testing"

	"github.com/mainstake/sidenode/lottery"
)

func TestLoadConfigPrometheus(t *testing.T) {
	withHome(t)

	cfg := mustLoad(t, btcdCreds...)
	if cfg.Prometheus.Listen != "" {
		t.Fatalf("metrics are on by default: %q", cfg.Prometheus.Listen)
	}
	for _, addr := range []string{"127.0.0.1:9560", "[::1]:0", "0.0.0.0:9560", ":9560", "localhost:9560"} {
		cfg := mustLoad(t, append(btcdCreds, "--prometheus.listen="+addr)...)
		if cfg.Prometheus.Listen != addr {
			t.Errorf("--prometheus.listen=%s gives %q", addr, cfg.Prometheus.Listen)
		}
	}
	path := writeConfigFile(t, "[prometheus]\nprometheus.listen=127.0.0.1:9561\n")
	cfg = mustLoad(t, append(btcdCreds, "--configfile="+path)...)
	if cfg.Prometheus.Listen != "127.0.0.1:9561" {
		t.Errorf("config file: Listen = %q", cfg.Prometheus.Listen)
	}
	// The last one given wins, as the devnet's tests rely on.
	cfg = mustLoad(t, append(btcdCreds, "--configfile="+path,
		"--prometheus.listen=127.0.0.1:9562", "--prometheus.listen=127.0.0.1:9563")...)
	if cfg.Prometheus.Listen != "127.0.0.1:9563" {
		t.Errorf("flags after the config file: Listen = %q", cfg.Prometheus.Listen)
	}

	for _, addr := range []string{"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "[::1]"} {
		_, _, err := LoadConfig(append(btcdCreds, "--prometheus.listen="+addr))
		if err == nil || !strings.Contains(err.Error(), "--prometheus.listen="+addr) {
			t.Errorf("--prometheus.listen=%s: error %v, want one naming the option", addr, err)
		}
	}
}

func TestWeightFloat(t *testing.T) {
	for _, c := range []struct {
		w    lottery.Uint128
		want float64
	}{
		{lottery.Uint128{}, 0},
		{lottery.Uint128{Lo: 12345}, 12345},
		{lottery.Uint128{Lo: math.MaxUint64}, 0x1p64},
		{lottery.Uint128{Hi: 1}, 0x1p64},
		{lottery.Uint128{Hi: 1 << 55}, 0x1p119},
		// 2^119 + 2^66 + 1 is past the middle of 2^119 and the next
		// float64, 2^119 + 2^67. Rounding the high word first (2^55 + 4,
		// a tie, goes to 2^55) and then the sum would give 2^119.
		{lottery.Uint128{Hi: 1<<55 + 4, Lo: 1}, 0x1p119 + 0x1p67},
	} {
		if got := weightFloat(c.w); got != c.want {
			t.Errorf("weightFloat(%v) = %g, want %g", c.w, got, c.want)
		}
	}
}
