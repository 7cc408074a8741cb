package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/protobuf/proto"

	"github.com/mainstake/sidenode/api"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// verboseTx is tx --verbose: what bitcoin-cli getrawtransaction TXID true
// prints (btcjson.TxRawResult, its fields and their names), with each
// output's value in sat beside the value in BTC, and what the node knows
// of the transaction beside.
type verboseTx struct {
	btcjson.TxRawResult
	Vout []verboseVout `json:"vout"`

	// Chain is "mainchain" or "sidechain".
	Chain string `json:"chain"`
	// Node is the node's answer: the block that holds the transaction,
	// and for a wallet transaction what it received, sent and paid.
	Node json.RawMessage `json:"node"`
}

// verboseVout is an output with its value in sat too.
type verboseVout struct {
	btcjson.Vout
	ValueSat int64 `json:"value_sat"`
}

// decodeTx decodes a raw transaction (hex) of the network params with
// btcd's types and script disassembler.
func decodeTx(rawHex string, params *chaincfg.Params) (*verboseTx, error) {
	raw, err := hex.DecodeString(rawHex)
	if err != nil {
		return nil, fmt.Errorf("the node's raw transaction is not hex")
	}
	tx := new(wire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
		return nil, fmt.Errorf("the node's raw transaction does not decode: %v", err)
	}
	weight := blockchain.GetTransactionWeight(btcutil.NewTx(tx))
	out := &verboseTx{TxRawResult: btcjson.TxRawResult{
		Hex:      rawHex,
		Txid:     tx.TxHash().String(),
		Hash:     tx.WitnessHash().String(),
		Size:     int32(tx.SerializeSize()),
		Vsize:    int32((weight + 3) / 4),
		Weight:   int32(weight),
		Version:  uint32(tx.Version),
		LockTime: tx.LockTime,
		Vin:      []btcjson.Vin{},
	}}
	coinbase := blockchain.IsCoinBaseTx(tx)
	for _, in := range tx.TxIn {
		v := btcjson.Vin{Sequence: in.Sequence}
		for _, w := range in.Witness {
			v.Witness = append(v.Witness, hex.EncodeToString(w))
		}
		if coinbase {
			v.Coinbase = hex.EncodeToString(in.SignatureScript)
		} else {
			asm, _ := txscript.DisasmString(in.SignatureScript)
			v.Txid = in.PreviousOutPoint.Hash.String()
			v.Vout = in.PreviousOutPoint.Index
			v.ScriptSig = &btcjson.ScriptSig{Asm: asm, Hex: hex.EncodeToString(in.SignatureScript)}
		}
		out.Vin = append(out.Vin, v)
	}
	out.Vout = []verboseVout{}
	for i, o := range tx.TxOut {
		asm, _ := txscript.DisasmString(o.PkScript)
		class, addrs, reqSigs, _ := txscript.ExtractPkScriptAddrs(o.PkScript, params)
		spk := btcjson.ScriptPubKeyResult{Asm: asm, Hex: hex.EncodeToString(o.PkScript),
			ReqSigs: int32(reqSigs), Type: class.String()}
		for _, a := range addrs {
			spk.Addresses = append(spk.Addresses, a.EncodeAddress())
		}
		if len(addrs) == 1 {
			spk.Address = addrs[0].EncodeAddress()
		}
		out.Vout = append(out.Vout, verboseVout{
			Vout:     btcjson.Vout{Value: btcutil.Amount(o.Value).ToBTC(), N: uint32(i), ScriptPubKey: spk},
			ValueSat: o.Value,
		})
	}
	return out, nil
}

// protojsonMarshal encodes a response as printJSON does, without the
// raw transaction, which the decoded form already holds.
func protojsonMarshal(m proto.Message) (json.RawMessage, error) {
	m = proto.Clone(m)
	switch r := m.(type) {
	case *apiv1.GetTransactionResponse:
		r.RawHex = ""
	case *apiv1.GetWalletTransactionResponse:
		r.RawHex = ""
	}
	return api.MarshalJSON(m)
}

// printIndented prints v as indented JSON.
func printIndented(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
