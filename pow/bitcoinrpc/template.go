package bitcoinrpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// Capabilities of getblocktemplate's template_request that change the
// answer.
const (
	// CapCoinbaseTxn asks for the node's coinbase (BIP22 coinbasetxn).
	CapCoinbaseTxn = "coinbasetxn"

	// CapWithdrawalRoot says the client computes the header's merkle
	// root as the sidechain does, SHA256d(Bitcoin's root of the txids ‖
	// withdrawalroot), and so can be given the mempool's transactions.
	CapWithdrawalRoot = "withdrawalroot"
)

// templateRequest is getblocktemplate's template_request (BIP22, BIP23).
type templateRequest struct {
	Mode         string   `json:"mode"`
	Capabilities []string `json:"capabilities"`
	LongPollID   string   `json:"longpollid"`
	Rules        []string `json:"rules"`
	Data         string   `json:"data"`
}

// templateTx is a transaction of the answer, the coinbase's included.
type templateTx struct {
	Data     string  `json:"data"`
	TxID     string  `json:"txid"`
	Hash     string  `json:"hash"`
	Depends  []int32 `json:"depends"`
	Fee      int64   `json:"fee"`
	SigOps   int64   `json:"sigops"`
	Weight   int64   `json:"weight"`
	Required bool    `json:"required,omitempty"`
}

// templateResult is getblocktemplate's answer, in bitcoind's fields and
// two of the sidechain's: withdrawalroot and algorithm.
type templateResult struct {
	Capabilities      []string          `json:"capabilities"`
	Version           int32             `json:"version"`
	Rules             []string          `json:"rules"`
	VBAvailable       map[string]int    `json:"vbavailable"`
	VBRequired        int               `json:"vbrequired"`
	PreviousBlockHash string            `json:"previousblockhash"`
	Transactions      []templateTx      `json:"transactions"`
	CoinbaseAux       map[string]string `json:"coinbaseaux"`
	CoinbaseValue     int64             `json:"coinbasevalue"`
	CoinbaseTxn       *templateTx       `json:"coinbasetxn,omitempty"`
	LongPollID        string            `json:"longpollid"`
	Target            string            `json:"target"`
	MinTime           int64             `json:"mintime"`
	Mutable           []string          `json:"mutable"`
	NonceRange        string            `json:"noncerange"`
	SigOpLimit        int64             `json:"sigoplimit"`
	SizeLimit         int64             `json:"sizelimit"`
	WeightLimit       int64             `json:"weightlimit"`
	CurTime           int64             `json:"curtime"`
	MaxTime           int64             `json:"maxtime"`
	Bits              string            `json:"bits"`
	Height            int32             `json:"height"`
	WithdrawalRoot    string            `json:"withdrawalroot,omitempty"`
	Algorithm         string            `json:"algorithm,omitempty"`
}

var getBlockTemplateSig = signature{method: "getblocktemplate", names: []string{"template_request"}}

func (s *Server) getBlockTemplate(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	args, e := getBlockTemplateSig.parse(params)
	if e != nil {
		return nil, e
	}
	var req templateRequest
	if args[0] != nil {
		if jsonType(args[0]) != "object" {
			return nil, typeError(args[0], "object")
		}
		if err := json.Unmarshal(args[0], &req); err != nil {
			return nil, errorf(codeType, "template_request: %v", err)
		}
	}
	switch req.Mode {
	case "", "template":
	case "proposal":
		return nil, errorf(codeInvalidParam, "Invalid mode: this node takes "+
			"no block proposals; submit the block with submitblock")
	default:
		return nil, errorf(codeInvalidParam, "Invalid mode")
	}
	t, err := s.template(ctx, req.LongPollID)
	if err != nil {
		return nil, backendError(err)
	}
	res, err := templateAnswer(t, slices.Contains(req.Capabilities, CapCoinbaseTxn),
		slices.Contains(req.Capabilities, CapWithdrawalRoot))
	if err != nil {
		return nil, errorf(codeInternal, "Internal error: %v", err)
	}
	return res, nil
}

// template returns the node's template; with a long poll id, it waits in
// one of MaxLongPolls slots up to LongPollWait for the template to change,
// and answers with the current one when the time is up or no slot is
// free.
func (s *Server) template(ctx context.Context, longPollID string) (*api.BlockTemplate, error) {
	if longPollID == "" {
		return s.cfg.Mining.BlockTemplate(ctx, "")
	}
	select {
	case s.polls <- struct{}{}:
		defer func() { <-s.polls }()
	default:
		return s.cfg.Mining.BlockTemplate(ctx, "")
	}
	wait, cancel := context.WithTimeout(ctx, s.cfg.LongPollWait)
	defer cancel()
	t, err := s.cfg.Mining.BlockTemplate(wait, longPollID)
	if err != nil && wait.Err() != nil && ctx.Err() == nil {
		return s.cfg.Mining.BlockTemplate(ctx, "")
	}
	return t, err
}

// markerTx is what a compatible template lists for the sidechain's extra
// merkle step: a transaction whose listed txid is the withdrawal root of
// a block without withdrawals (32 zero bytes). Bitcoin's merkle root of
// [coinbase, marker] as a pool computes it from the listed txids,
// SHA256d(coinbase txid ‖ 0³²), is the sidechain's root of a block of the
// coinbase alone. Its own data is a second coinbase, so a block that
// keeps it is refused; submitblock takes it off.
var markerTx = func() *wire.MsgTx {
	tx := wire.NewMsgTx(1)
	in, err := txscript.NewScriptBuilder().AddData([]byte("sidenode:withdrawalroot")).Script()
	if err != nil {
		panic(err)
	}
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), in, nil))
	out, err := txscript.NullDataScript([]byte("sidenode:withdrawalroot"))
	if err != nil {
		panic(err)
	}
	tx.AddTxOut(wire.NewTxOut(0, out))
	return tx
}()

var markerHash = markerTx.TxHash()

// stripMarker takes the marker off the end of a block's transactions; it
// says whether it did.
func stripMarker(b *headerchain.Block) bool {
	n := len(b.Transactions)
	if n < 2 || b.Transactions[n-1].TxHash() != markerHash {
		return false
	}
	b.Transactions = b.Transactions[:n-1]
	return true
}

// templateAnswer writes the node's template in getblocktemplate's form.
// With full, the transactions are the node's and withdrawalroot is given;
// without, the block is the coinbase alone and the marker stands for the
// merkle step. With coinbaseTxn the node's coinbase is given as
// coinbasetxn (paying what the block allows: without full, no fees).
func templateAnswer(t *api.BlockTemplate, coinbaseTxn, full bool) (*templateResult, error) {
	cb := t.Coinbase.Tx
	if cb == nil {
		return nil, fmt.Errorf("the node's template at height %d has no coinbase", t.Height)
	}
	ref, err := sideblock.ExtractMainRef(cb)
	if err != nil {
		return nil, fmt.Errorf("the node's coinbase carries no main reference: %w", err)
	}
	fees := t.Coinbase.Fee
	res := &templateResult{
		Capabilities:      []string{"longpoll"},
		Version:           t.Header.Version,
		Rules:             []string{},
		VBAvailable:       map[string]int{},
		PreviousBlockHash: t.Header.PrevBlock.String(),
		CoinbaseAux:       map[string]string{"flags": hex.EncodeToString(ref.Bytes())},
		CoinbaseValue:     t.CoinbaseValue,
		LongPollID:        t.LongPollID,
		Target:            api.TargetHex(t.Target),
		MinTime:           t.MinTime.Unix(),
		NonceRange:        "00000000ffffffff",
		SigOpLimit:        t.SigOpLimit,
		SizeLimit:         t.SizeLimit,
		WeightLimit:       t.WeightLimit,
		CurTime:           t.Header.Timestamp.Unix(),
		MaxTime:           t.MaxTime.Unix(),
		Bits:              api.BitsHex(t.Header.Bits),
		Height:            t.Height,
		Algorithm:         t.Algorithm,
	}
	if full {
		res.Mutable = []string{"time", "transactions", "prevblock"}
		res.WithdrawalRoot = t.WithdrawalRoot.String()
		res.Transactions = make([]templateTx, len(t.Txs))
		for i := range t.Txs {
			if res.Transactions[i], err = txEntry(&t.Txs[i]); err != nil {
				return nil, err
			}
		}
	} else {
		res.Mutable = []string{"time", "prevblock"}
		res.CoinbaseValue -= fees
		data, err := txHex(markerTx)
		if err != nil {
			return nil, err
		}
		var zero chainhash.Hash
		res.Transactions = []templateTx{{Data: data, TxID: zero.String(),
			Hash: zero.String(), Depends: []int32{},
			Weight: int64(headerchain.Weight(uint64(markerTx.SerializeSize()), 0))}}
	}
	if coinbaseTxn {
		res.Mutable = append(res.Mutable, "coinbase/append")
		cbEntry := t.Coinbase
		cbEntry.Fee = -fees
		if !full {
			if cbEntry.Tx, err = lessFees(cb, fees); err != nil {
				return nil, err
			}
			cbEntry.Fee = 0
		}
		e, err := txEntry(&cbEntry)
		if err != nil {
			return nil, err
		}
		e.Required = true
		res.CoinbaseTxn = &e
	}
	return res, nil
}

// lessFees returns a copy of the coinbase whose outputs pay fees less,
// taken from the first outputs that have it.
func lessFees(cb *wire.MsgTx, fees int64) (*wire.MsgTx, error) {
	c := cb.Copy()
	for _, out := range c.TxOut {
		take := min(fees, out.Value)
		out.Value -= take
		fees -= take
	}
	if fees > 0 {
		return nil, fmt.Errorf("the node's coinbase pays less than its block's fees")
	}
	return c, nil
}

func txEntry(tx *api.TemplateTx) (templateTx, error) {
	data, err := txHex(tx.Tx)
	if err != nil {
		return templateTx{}, err
	}
	depends := tx.Depends
	if depends == nil {
		depends = []int32{}
	}
	return templateTx{Data: data, TxID: tx.Tx.TxHash().String(),
		Hash: tx.Tx.WitnessHash().String(), Depends: depends, Fee: tx.Fee,
		SigOps: tx.SigOps, Weight: tx.Weight}, nil
}

func txHex(tx *wire.MsgTx) (string, error) {
	var b bytes.Buffer
	b.Grow(tx.SerializeSize())
	if err := tx.Serialize(&b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b.Bytes()), nil
}
