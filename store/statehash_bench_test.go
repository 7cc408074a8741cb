package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// benchTicketKey is a ticket-sized key: 0x30 't' ‖ id (8).
func benchTicketKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{0x30, 't'}, id)
}

// benchTicketValue is a ticket-sized record (205 bytes, as mainstake's).
func benchTicketValue(rng *rand.Rand) []byte {
	v := make([]byte, 205)
	rng.Read(v)
	return v
}

// benchStore opens a store holding tickets ticket-sized records, filled
// through ConnectBlock in blocks of 10,000, so that it also has their state
// hash when noHash is false.
func benchStore(b *testing.B, dir string, tickets int, noHash bool) *DB {
	b.Helper()
	opts := Options{
		Genesis:  *chaincfg.RegressionNetParams.GenesisHash,
		Network:  "regtest",
		InMemory: dir == "",
	}
	db, err := Open(dir, opts)
	if err != nil {
		b.Fatal(err)
	}
	db.noStateHash = noHash
	rng := rand.New(rand.NewSource(1))
	var prev chainhash.Hash
	for h := int32(0); int(h)*10000 < tickets; h++ {
		id := BlockID{Height: h, Hash: sha256.Sum256([]byte(fmt.Sprint("fill", h)))}
		if h == 0 {
			id.Hash = opts.Genesis
		}
		err := db.ConnectBlock(id, prev, func(w *Writer) error {
			for i := int(h) * 10000; i < tickets && i < int(h+1)*10000; i++ {
				if err := w.Set(benchTicketKey(uint64(i)), benchTicketValue(rng)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		prev = id.Hash
	}
	return db
}

// BenchmarkStateHashPerBlock measures what the state hash adds to a
// mainchain block's batch in a store of 100,000 ticket records: two stores
// with the same content, one keeping the state hash and one not, connect
// the same blocks in turn. A block changes `keys` keys: it rewrites
// keys-2 random tickets, adds one and deletes one. Reported: ns per block
// with and without the hash, and their ratio.
func BenchmarkStateHashPerBlock(b *testing.B) {
	const tickets = 100_000
	for _, disk := range []bool{false, true} {
		for _, keys := range []int{10, 50} {
			name := fmt.Sprintf("mem/keys=%d", keys)
			if disk {
				name = fmt.Sprintf("disk/keys=%d", keys)
			}
			b.Run(name, func(b *testing.B) {
				var dirs [2]string
				if disk {
					dirs = [2]string{b.TempDir(), b.TempDir()}
				}
				with := benchStore(b, dirs[0], tickets, false)
				defer with.Close()
				without := benchStore(b, dirs[1], tickets, true)
				defer without.Close()
				tip, err := with.Tip()
				if err != nil {
					b.Fatal(err)
				}
				rng := rand.New(rand.NewSource(2))
				next := uint64(tickets)
				var tWith, tWithout time.Duration
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					id := BlockID{Height: tip.Height + 1,
						Hash: sha256.Sum256([]byte(fmt.Sprint("bench", i)))}
					type write struct{ k, v []byte }
					var writes []write
					for j := 0; j < keys-2; j++ {
						writes = append(writes, write{
							benchTicketKey(uint64(rng.Int63n(int64(next)))),
							benchTicketValue(rng)})
					}
					writes = append(writes, write{benchTicketKey(next), benchTicketValue(rng)})
					writes = append(writes, write{benchTicketKey(uint64(rng.Int63n(int64(next)))), nil})
					next++
					apply := func(w *Writer) error {
						for _, wr := range writes {
							var err error
							if wr.v == nil {
								err = w.Delete(wr.k)
							} else {
								err = w.Set(wr.k, wr.v)
							}
							if err != nil {
								return err
							}
						}
						return nil
					}
					for k, db := range []*DB{without, with} {
						start := time.Now()
						if err := db.ConnectBlock(id, tip.Hash, apply); err != nil {
							b.Fatal(err)
						}
						if k == 0 {
							tWithout += time.Since(start)
						} else {
							tWith += time.Since(start)
						}
					}
					tip = id
				}
				b.StopTimer()
				b.ReportMetric(float64(tWith.Nanoseconds())/float64(b.N), "ns-with/block")
				b.ReportMetric(float64(tWithout.Nanoseconds())/float64(b.N), "ns-without/block")
				b.ReportMetric(float64(tWith)/float64(tWithout), "ratio")
			})
		}
	}
}
