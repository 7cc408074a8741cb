package pegbox

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// Spend is a mainchain transaction that spent pegbox coins, as the chain
// shows it: the coins it took, what it paid back to a pegbox (up to their
// value) and the transaction itself, whose outputs and payload say what
// it claims to be. The index records every spend in the batch of the
// block that confirmed it; whether the rules allow it depends on the
// sidechain too, and is the Auditor's to say when asked.
type Spend struct {
	TxID     chainhash.Hash
	Height   int32
	TxIndex  uint32
	Coins    []Coin // the pegbox coins it spent, in input order
	Spent    int64  // their value
	Returned int64  // what it paid back to a pegbox, at most Spent
	Tx       *wire.MsgTx
}

// Out is what the spend took out of the pegbox: the coins it spent less
// what it paid back.
func (s *Spend) Out() int64 { return s.Spent - s.Returned }

func spendKey(height int32, idx uint32) []byte {
	k := binary.BigEndian.AppendUint32(append([]byte(nil), keySpendPrefix...), uint32(height))
	return binary.BigEndian.AppendUint32(k, idx)
}

// encodeSpend: returned (8) ‖ number of coins (2) ‖ each coin: outpoint
// (36) ‖ value (8) ‖ height (4) ‖ len(pkScript) (2) ‖ pkScript ‖ then the
// transaction in wire's witness encoding. The key holds the height and
// index; the txid and the spent value follow from the rest.
func encodeSpend(s *Spend) ([]byte, error) {
	if len(s.Coins) > math.MaxUint16 {
		return nil, fmt.Errorf("pegbox: spend %v of %d coins", s.TxID, len(s.Coins))
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(s.Returned))
	v = binary.BigEndian.AppendUint16(v, uint16(len(s.Coins)))
	for _, c := range s.Coins {
		if len(c.PkScript) > math.MaxUint16 {
			return nil, fmt.Errorf("pegbox: coin %v has a script of %d bytes",
				c.OutPoint, len(c.PkScript))
		}
		v = append(v, outpointBytes(c.OutPoint)...)
		v = binary.BigEndian.AppendUint64(v, uint64(c.Value))
		v = binary.BigEndian.AppendUint32(v, uint32(c.Height))
		v = binary.BigEndian.AppendUint16(v, uint16(len(c.PkScript)))
		v = append(v, c.PkScript...)
	}
	var raw bytes.Buffer
	if err := s.Tx.Serialize(&raw); err != nil {
		return nil, err
	}
	return append(v, raw.Bytes()...), nil
}

func decodeSpend(k, v []byte) (*Spend, error) {
	if len(k) != len(keySpendPrefix)+8 || len(v) < 10 {
		return nil, fmt.Errorf("pegbox: spend record of %d/%d bytes", len(k), len(v))
	}
	s := &Spend{
		Height:   int32(binary.BigEndian.Uint32(k[len(keySpendPrefix):])),
		TxIndex:  binary.BigEndian.Uint32(k[len(keySpendPrefix)+4:]),
		Returned: int64(binary.BigEndian.Uint64(v)),
	}
	n := int(binary.BigEndian.Uint16(v[8:]))
	rest := v[10:]
	for i := 0; i < n; i++ {
		if len(rest) < 50 {
			return nil, fmt.Errorf("pegbox: spend record at %d:%d: coin %d cut short",
				s.Height, s.TxIndex, i)
		}
		c := Coin{Value: int64(binary.BigEndian.Uint64(rest[36:])),
			Height: int32(binary.BigEndian.Uint32(rest[44:]))}
		copy(c.OutPoint.Hash[:], rest)
		c.OutPoint.Index = binary.BigEndian.Uint32(rest[32:])
		l := int(binary.BigEndian.Uint16(rest[48:]))
		if len(rest) < 50+l {
			return nil, fmt.Errorf("pegbox: spend record at %d:%d: coin %d cut short",
				s.Height, s.TxIndex, i)
		}
		c.PkScript = append([]byte(nil), rest[50:50+l]...)
		rest = rest[50+l:]
		s.Coins = append(s.Coins, c)
		s.Spent += c.Value
	}
	var tx wire.MsgTx
	if err := tx.Deserialize(bytes.NewReader(rest)); err != nil {
		return nil, fmt.Errorf("pegbox: spend record at %d:%d: %w", s.Height, s.TxIndex, err)
	}
	s.Tx = &tx
	s.TxID = tx.TxHash()
	return s, nil
}

// Spends returns every spend of pegbox coins on the mainchain, oldest
// first.
func Spends(r store.Reader) ([]Spend, error) {
	var out []Spend
	err := r.Iterate(keySpendPrefix, func(k, v []byte) error {
		s, err := decodeSpend(k, v)
		if err != nil {
			return err
		}
		out = append(out, *s)
		return nil
	})
	return out, err
}
