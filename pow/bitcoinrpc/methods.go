package bitcoinrpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/pow/headerchain"
)

// method serves one JSON-RPC method from its raw params.
type method func(ctx context.Context, params json.RawMessage) (any, *rpcError)

// Methods lists the methods the server serves; any other is -32601.
var Methods = []string{
	"getblocktemplate", "submitblock", "getbestblockhash",
	"getblockchaininfo", "getmininginfo", "getnetworkinfo", "validateaddress",
	"getblockcount", "getblockhash", "getdifficulty",
}

// methodTable maps each of Methods to its handler.
func (s *Server) methodTable() map[string]method {
	return map[string]method{
		"getblocktemplate":  s.getBlockTemplate,
		"submitblock":       s.submitBlock,
		"getbestblockhash":  s.getBestBlockHash,
		"getblockchaininfo": s.getBlockchainInfo,
		"getmininginfo":     s.getMiningInfo,
		"getnetworkinfo":    s.getNetworkInfo,
		"validateaddress":   s.validateAddress,
		"getblockcount":     s.getBlockCount,
		"getblockhash":      s.getBlockHash,
		"getdifficulty":     s.getDifficulty,
	}
}

// backendError answers a failure of the node: a request the node calls
// invalid is -8 (-22 for a block that does not decode), a node that
// cannot serve yet -9, anything else -1, each with the node's words.
func backendError(err error) *rpcError {
	var ae *api.Error
	if errors.As(err, &ae) {
		switch ae.Code {
		case api.ErrInvalidArgument:
			return errorf(codeInvalidParam, "%s", ae.Description)
		case api.ErrUnavailable, api.ErrFailedPrecondition:
			return errorf(codeNotConnected, "%s", ae.Description)
		}
	}
	if errors.Is(err, context.Canceled) {
		return errorf(codeMisc, "the call ended before the node answered (the server is stopping)")
	}
	return errorf(codeMisc, "%v", err)
}

var noParams = func(name string) signature { return signature{method: name} }

func (s *Server) getBestBlockHash(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	if _, e := noParams("getbestblockhash").parse(params); e != nil {
		return nil, e
	}
	cs, err := s.cfg.Chain.ChainState(ctx)
	if err != nil {
		return nil, backendError(err)
	}
	return cs.BestHash.String(), nil
}

type blockchainInfo struct {
	Chain                string  `json:"chain"`
	Blocks               int32   `json:"blocks"`
	Headers              int32   `json:"headers"`
	BestBlockHash        string  `json:"bestblockhash"`
	Difficulty           float64 `json:"difficulty"`
	MedianTime           int64   `json:"mediantime"`
	VerificationProgress float64 `json:"verificationprogress"`
	InitialBlockDownload bool    `json:"initialblockdownload"`
	ChainWork            string  `json:"chainwork"`
	SizeOnDisk           int64   `json:"size_on_disk"`
	Pruned               bool    `json:"pruned"`
	Warnings             string  `json:"warnings"`
}

func (s *Server) getBlockchainInfo(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	if _, e := noParams("getblockchaininfo").parse(params); e != nil {
		return nil, e
	}
	cs, err := s.cfg.Chain.ChainState(ctx)
	if err != nil {
		return nil, backendError(err)
	}
	mi, err := s.cfg.Mining.MiningInfo(ctx, 1)
	if err != nil {
		return nil, backendError(err)
	}
	info := &blockchainInfo{
		Chain:                s.cfg.Params.Name,
		Blocks:               cs.Blocks,
		Headers:              max(cs.Headers, cs.Blocks),
		BestBlockHash:        cs.BestHash.String(),
		Difficulty:           mi.Difficulty,
		MedianTime:           cs.MedianTime.Unix(),
		VerificationProgress: 1,
		InitialBlockDownload: cs.Headers > cs.Blocks,
		ChainWork:            "0",
	}
	if info.Headers > 0 && cs.Headers > cs.Blocks {
		info.VerificationProgress = float64(cs.Blocks) / float64(cs.Headers)
	}
	if cs.ChainWork != nil && cs.ChainWork.Sign() >= 0 {
		info.ChainWork = fmt.Sprintf("%064x", cs.ChainWork)
	}
	return info, nil
}

type miningInfo struct {
	Blocks        int32   `json:"blocks"`
	Difficulty    float64 `json:"difficulty"`
	NetworkHashPS float64 `json:"networkhashps"`
	PooledTx      int     `json:"pooledtx"`
	Chain         string  `json:"chain"`
	Warnings      string  `json:"warnings"`
}

func (s *Server) getMiningInfo(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	if _, e := noParams("getmininginfo").parse(params); e != nil {
		return nil, e
	}
	mi, err := s.cfg.Mining.MiningInfo(ctx, api.MaxRecentBlocks)
	if err != nil {
		return nil, backendError(err)
	}
	info := &miningInfo{Blocks: mi.Tip.Height, Difficulty: mi.Difficulty,
		NetworkHashPS: mi.HashPS, Chain: s.cfg.Params.Name}
	if s.cfg.Mempool != nil {
		info.PooledTx = s.cfg.Mempool.Count()
	}
	return info, nil
}

type networkInfo struct {
	Version         int    `json:"version"`
	SubVersion      string `json:"subversion"`
	ProtocolVersion int    `json:"protocolversion"`
	Warnings        string `json:"warnings"`
}

// protocolVersion is the Bitcoin P2P protocol version getnetworkinfo
// names (btcd's wire.ProtocolVersion); the sidechain's peers speak a
// protocol of their own.
const protocolVersion = 70016

func (s *Server) getNetworkInfo(_ context.Context, params json.RawMessage) (any, *rpcError) {
	if _, e := noParams("getnetworkinfo").parse(params); e != nil {
		return nil, e
	}
	return &networkInfo{Version: numericVersion(s.cfg.Version),
		SubVersion: "/sidenode:" + s.cfg.Version + "/", ProtocolVersion: protocolVersion}, nil
}

// numericVersion writes "major.minor.patch[-x]" as bitcoind's number,
// major·10000 + minor·100 + patch; 0 for a version it cannot read.
func numericVersion(v string) int {
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0
	}
	n := 0
	for _, p := range parts {
		d, err := strconv.Atoi(p)
		if err != nil || d < 0 || d > 99 {
			return 0
		}
		n = n*100 + d
	}
	return n
}

type addressInfo struct {
	IsValid        bool   `json:"isvalid"`
	Address        string `json:"address,omitempty"`
	ScriptPubKey   string `json:"scriptPubKey,omitempty"`
	IsScript       *bool  `json:"isscript,omitempty"`
	IsWitness      *bool  `json:"iswitness,omitempty"`
	WitnessVersion *int   `json:"witness_version,omitempty"`
	WitnessProgram string `json:"witness_program,omitempty"`
	Error          string `json:"error,omitempty"`
	ErrorLocations []int  `json:"error_locations,omitempty"`
}

var validateAddressSig = signature{method: "validateaddress", names: []string{"address"}, required: 1}

// validateAddress reads a sidechain address of the network: its script,
// and whether it is a script hash and a witness program, as bitcoind's
// DescribeAddress tells them (P2TR counts as a script).
func (s *Server) validateAddress(_ context.Context, params json.RawMessage) (any, *rpcError) {
	args, e := validateAddressSig.parse(params)
	if e != nil {
		return nil, e
	}
	str, e := stringParam(args[0])
	if e != nil {
		return nil, e
	}
	side := s.cfg.Params.Side
	a, err := btcutil.DecodeAddress(str, side)
	if err != nil || !a.IsForNet(side) {
		msg := fmt.Sprintf("not a sidechain address of %s", s.cfg.Params.Name)
		if err != nil {
			msg += ": " + err.Error()
		}
		return &addressInfo{Error: msg, ErrorLocations: []int{}}, nil
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return &addressInfo{Error: err.Error(), ErrorLocations: []int{}}, nil
	}
	isScript, isWitness := false, false
	info := &addressInfo{IsValid: true, Address: a.EncodeAddress(),
		ScriptPubKey: hex.EncodeToString(script)}
	switch w := a.(type) {
	case *btcutil.AddressScriptHash:
		isScript = true
	case *btcutil.AddressWitnessPubKeyHash:
		isWitness = true
		info.WitnessVersion, info.WitnessProgram = ptr(int(w.WitnessVersion())), hex.EncodeToString(w.WitnessProgram())
	case *btcutil.AddressWitnessScriptHash:
		isScript, isWitness = true, true
		info.WitnessVersion, info.WitnessProgram = ptr(int(w.WitnessVersion())), hex.EncodeToString(w.WitnessProgram())
	case *btcutil.AddressTaproot:
		isScript, isWitness = true, true
		info.WitnessVersion, info.WitnessProgram = ptr(int(w.WitnessVersion())), hex.EncodeToString(w.WitnessProgram())
	}
	info.IsScript, info.IsWitness = &isScript, &isWitness
	return info, nil
}

func ptr[T any](v T) *T { return &v }

var submitBlockSig = signature{method: "submitblock", names: []string{"hexdata", "dummy"}, required: 1}

// submitBlock takes a block in Bitcoin's serialization, which is the
// node's (§12.2): null when the node accepts it, else BIP22's reason. A
// last transaction that is the withdrawal-root marker of a compatible
// template is taken off first.
func (s *Server) submitBlock(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	args, e := submitBlockSig.parse(params)
	if e != nil {
		return nil, e
	}
	str, e := stringParam(args[0])
	if e != nil {
		return nil, e
	}
	raw, err := hex.DecodeString(str)
	if err != nil {
		return nil, errorf(codeDeserialization, "Block decode failed: hexdata is not hex: %v", err)
	}
	b, err := headerchain.DecodeBlock(raw)
	if err != nil {
		return nil, errorf(codeDeserialization, "Block decode failed: %v", err)
	}
	if stripMarker(b) {
		if raw, err = b.Bytes(); err != nil {
			return nil, errorf(codeInternal, "Internal error: %v", err)
		}
	}
	res, err := s.cfg.Mining.SubmitBlock(ctx, raw)
	if err != nil {
		var ae *api.Error
		if errors.As(err, &ae) && ae.Code == api.ErrInvalidArgument {
			return nil, errorf(codeDeserialization, "Block decode failed: %s", ae.Description)
		}
		return nil, backendError(err)
	}
	if res.Accepted {
		log.Infof("Sideblock %v (height %d) submitted through the "+
			"bitcoind-compatible RPC", res.Hash, res.Height)
		return nil, nil
	}
	log.Debugf("Submitted sideblock %v refused: %s (%s)", res.Hash, res.Reason, res.Message)
	if res.Reason == "" {
		return "rejected", nil
	}
	return res.Reason, nil
}

func (s *Server) getBlockCount(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	if _, e := noParams("getblockcount").parse(params); e != nil {
		return nil, e
	}
	cs, err := s.cfg.Chain.ChainState(ctx)
	if err != nil {
		return nil, backendError(err)
	}
	return cs.Blocks, nil
}

var getBlockHashSig = signature{method: "getblockhash", names: []string{"height"}, required: 1}

func (s *Server) getBlockHash(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	args, e := getBlockHashSig.parse(params)
	if e != nil {
		return nil, e
	}
	if jsonType(args[0]) != "number" {
		return nil, typeError(args[0], "number")
	}
	var height int64
	if err := json.Unmarshal(args[0], &height); err != nil || height < 0 || height > math.MaxInt32 {
		return nil, errorf(codeInvalidParam, "Block height out of range")
	}
	hash, ok, err := s.cfg.Chain.BlockHash(ctx, int32(height))
	if err != nil {
		return nil, backendError(err)
	}
	if !ok {
		return nil, errorf(codeInvalidParam, "Block height out of range")
	}
	return hash.String(), nil
}

func (s *Server) getDifficulty(ctx context.Context, params json.RawMessage) (any, *rpcError) {
	if _, e := noParams("getdifficulty").parse(params); e != nil {
		return nil, e
	}
	mi, err := s.cfg.Mining.MiningInfo(ctx, 1)
	if err != nil {
		return nil, backendError(err)
	}
	return mi.Difficulty, nil
}
