package devnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/chainparams"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/sideblock"
)

// Operations a user asks of the running devnet, which holds btcd's
// mining key: pay an address, mine blocks.
const (
	OpFund = "fund" // pay Sats to Address, or to a new address of Node's wallet, from the mining key
	OpMine = "mine" // mine Blocks blocks now
)

// MaxMine bounds the blocks one mine operation asks for.
const MaxMine = 10_000

// Op is an operation asked of the running devnet, and its answer.
type Op struct {
	// ID names the operation's files; AskOp sets it.
	ID string `json:"id"`

	Kind    string `json:"kind"`
	Address string `json:"address,omitempty"`
	Node    string `json:"node,omitempty"` // a node whose wallet receives a fund
	Sats    int64  `json:"sats,omitempty"`
	Blocks  uint32 `json:"blocks,omitempty"`
}

// OpResult is the devnet's answer to an Op: what it did (a txid, block
// hashes), or why it could not.
type OpResult struct {
	Result []string `json:"result,omitempty"`
	Error  string   `json:"error,omitempty"`
}

// opsDir is where operations and their answers wait.
func opsDir(dir string) string { return filepath.Join(dir, "ops") }

// CheckOp checks an operation before it is asked, for the devnet's
// network: a fund pays a positive amount to a mainchain address, a mine
// asks for 1 to MaxMine blocks.
func CheckOp(op Op, params *chainparams.Params) error {
	switch op.Kind {
	case OpFund:
		if op.Sats <= 0 || op.Sats > 21_000_000*btcutil.SatoshiPerBitcoin {
			return fmt.Errorf("amount %d: want a positive amount in sat, "+
				"such as 100000000 for 1 BTC", op.Sats)
		}
		if op.Node != "" {
			if op.Address != "" {
				return fmt.Errorf("fund %s or %s: give one", op.Node, op.Address)
			}
			return nil
		}
		if a, err := btcutil.DecodeAddress(op.Address, params.Main); err == nil && a.IsForNet(params.Main) {
			return nil
		}
		if _, err := sideblock.DecodeSideAddress(op.Address, params); err == nil {
			return fmt.Errorf("%s: a sidechain address was given where a "+
				"mainchain address is expected: fund pays mainchain coins; "+
				"fund a node's wallet (sidecli newaddress), then move them "+
				"with sidecli peg in", op.Address)
		}
		return fmt.Errorf("%s is not a %s mainchain address (sidecli "+
			"newaddress gives one of a node's wallet)", op.Address, params.Name)
	case OpMine:
		if op.Blocks == 0 || op.Blocks > MaxMine {
			return fmt.Errorf("block count %d: want 1 to %d blocks", op.Blocks, MaxMine)
		}
		return nil
	}
	return fmt.Errorf("unknown operation %q: %s or %s", op.Kind, OpFund, OpMine)
}

// AskOp leaves op for the devnet running in dir and waits until it
// answers or ctx ends.
func AskOp(ctx context.Context, dir string, op Op) (OpResult, error) {
	op, err := PutOp(dir, op)
	if err != nil {
		return OpResult{}, err
	}
	return WaitReply(ctx, dir, op)
}

// PutOp leaves op for the devnet running in dir and returns it with its
// ID set.
func PutOp(dir string, op Op) (Op, error) {
	if _, err := os.Stat(filepath.Join(dir, "btcd")); err != nil {
		return op, fmt.Errorf("no devnet in %s: start it with scripts/devnet "+
			"(or give its directory with --dir)", dir)
	}
	od := opsDir(dir)
	if err := os.MkdirAll(od, 0o700); err != nil {
		return op, err
	}
	op.ID = fmt.Sprintf("%020d-%d", time.Now().UnixNano(), os.Getpid())
	b, err := json.Marshal(op)
	if err != nil {
		return op, err
	}
	// Written under another name, then renamed: the devnet never reads
	// half a request.
	tmp := filepath.Join(od, op.ID+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return op, err
	}
	return op, os.Rename(tmp, filepath.Join(od, op.ID+".op"))
}

// WaitReply waits for the devnet's answer to op, left by PutOp, until ctx
// ends. An answer with an error is returned with that error.
func WaitReply(ctx context.Context, dir string, op Op) (OpResult, error) {
	od := opsDir(dir)
	reply := filepath.Join(od, op.ID+".reply")
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(reply)
		if err == nil {
			_ = os.Remove(reply)
			var res OpResult
			if err := json.Unmarshal(b, &res); err != nil {
				return OpResult{}, fmt.Errorf("the devnet's answer: %w", err)
			}
			if res.Error != "" {
				return res, errors.New(res.Error)
			}
			return res, nil
		}
		select {
		case <-ctx.Done():
			_ = os.Remove(filepath.Join(od, op.ID+".op"))
			return OpResult{}, fmt.Errorf("the devnet in %s did not answer: "+
				"is it running (scripts/devnet)?", dir)
		case <-tick.C:
		}
	}
}

// TakeOps takes the operations waiting in dir, oldest first, and removes
// them; the devnet answers each with Reply.
func TakeOps(dir string) ([]Op, error) {
	od := opsDir(dir)
	entries, err := os.ReadDir(od)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".op") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var ops []Op
	for _, name := range names {
		path := filepath.Join(od, name)
		b, err := os.ReadFile(path)
		if err != nil {
			return ops, err
		}
		if err := os.Remove(path); err != nil {
			return ops, err
		}
		var op Op
		if err := json.Unmarshal(b, &op); err != nil || op.ID+".op" != name {
			continue // not one of AskOp's
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// Reply answers op with res.
func Reply(dir string, op Op, res OpResult) error {
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	od := opsDir(dir)
	tmp := filepath.Join(od, op.ID+".rtmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(od, op.ID+".reply"))
}

// Do carries out op on the net: a fund pays from btcd's mining key at 2
// sat/vB and returns the txid; a mine returns the new blocks' hashes.
func (n *Net) Do(op Op) OpResult {
	if err := CheckOp(op, n.Params); err != nil {
		return OpResult{Error: err.Error()}
	}
	switch op.Kind {
	case OpFund:
		if op.Node != "" {
			a, err := n.nodeAddress(op.Node)
			if err != nil {
				return OpResult{Error: err.Error()}
			}
			op.Address = a
		}
		addr, _ := btcutil.DecodeAddress(op.Address, n.Params.Main)
		script, err := txscript.PayToAddrScript(addr)
		if err != nil {
			return OpResult{Error: err.Error()}
		}
		tx, _, err := n.H.SendToScript(script, op.Sats)
		if err != nil {
			return OpResult{Error: fmt.Sprintf("paying from the mining key: %v", err)}
		}
		return OpResult{Result: []string{tx.TxHash().String(), op.Address}}
	case OpMine:
		hashes, err := n.H.Generate(op.Blocks)
		res := OpResult{}
		for _, h := range hashes {
			res.Result = append(res.Result, h.String())
		}
		if err != nil {
			res.Error = err.Error()
		}
		return res
	}
	return OpResult{Error: "unknown operation"}
}

// nodeAddress asks the named node's wallet for a new receive address.
func (n *Net) nodeAddress(name string) (string, error) {
	for _, node := range n.Nodes {
		if node.Spec.Name != name {
			continue
		}
		conn, err := node.Dial()
		if err != nil {
			return "", fmt.Errorf("%s: %w", name, err)
		}
		defer conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		resp, err := apiv1.NewWalletServiceClient(conn).NewAddress(ctx, &apiv1.NewAddressRequest{})
		if err != nil {
			return "", fmt.Errorf("%s: a new address of its wallet: %w", name, err)
		}
		return resp.GetAddress(), nil
	}
	return "", fmt.Errorf("no node %q in the devnet", name)
}
