package watchtest

import (
	"testing"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
)

// BtcdBackend starts a btcdwatch.Source against h.
func btcdBackend() Backend {
	return Backend{
		Name: "btcd",
		Start: func(t testing.TB, h *btctest.Harness, _ string) (mainwatch.Source, func()) {
			cert, err := h.Cert()
			if err != nil {
				t.Fatal(err)
			}
			src, err := btcdwatch.New(btcdwatch.Config{
				Host:   h.RPCAddr,
				User:   h.RPCUser,
				Pass:   h.RPCPass,
				Cert:   cert,
				Params: h.Params,
			})
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Start(); err != nil {
				t.Fatal(err)
			}
			return src, func() { _ = src.Stop() }
		},
	}
}

func TestConformanceBtcd(t *testing.T) {
	Run(t, btcdBackend())
}
