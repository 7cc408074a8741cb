package headerchain

import (
	"runtime"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// AwaitFlightWaiters returns once n callers wait for the proof-of-work
// check of hash that another caller is running. It yields rather than
// sleeps, and never returns if they do not come (the test then hangs
// until go test's timeout names it).
func (ix *Index) AwaitFlightWaiters(hash chainhash.Hash, n int) {
	for {
		ix.mu.Lock()
		f := ix.flights[hash]
		got := f != nil && f.waiters >= n
		ix.mu.Unlock()
		if got {
			return
		}
		runtime.Gosched()
	}
}
