package chainparams

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// Engine names the consensus engine that decides who produces the
// sidechain's blocks, how they are sealed and which chain is preferred
// (design §9). It is part of a network's genesis.
type Engine uint8

// The engines. The zero value is Mainstake, the engine of every network
// that predates the choice.
const (
	// Mainstake: one sideblock per mainchain block at most, produced by
	// the lottery's winner (design §3–§5).
	Mainstake Engine = iota

	// PoW: 80-byte headers mined under aserti3-2d, algorithms by height
	// (design §9.1). PowParams are its parameters.
	PoW

	// PoS: epoch proof of stake (design §9.2).
	PoS
)

// String returns the engine's name as the docs and error messages use it.
func (e Engine) String() string {
	switch e {
	case Mainstake:
		return "mainstake"
	case PoW:
		return "pow"
	case PoS:
		return "pos"
	}
	return fmt.Sprintf("engine(%d)", uint8(e))
}

// PowAlgorithm names a proof-of-work hash. The pow engine's verifier maps
// it to its implementation.
type PowAlgorithm uint8

// The proof-of-work algorithms.
const (
	// SHA256d: the proof-of-work hash is the block hash, as Bitcoin's.
	SHA256d PowAlgorithm = iota + 1

	// RandomX, as Monero uses it.
	RandomX

	// Ethash, as Ethereum used it before the merge.
	Ethash
)

// String returns the algorithm's name.
func (a PowAlgorithm) String() string {
	switch a {
	case SHA256d:
		return "sha256d"
	case RandomX:
		return "randomx"
	case Ethash:
		return "ethash"
	}
	return fmt.Sprintf("algorithm(%d)", uint8(a))
}

// PowEra is one entry of the pow engine's schedule: from FromHeight on,
// blocks are mined with Algorithm under an aserti3-2d schedule of their
// own, until the next era's FromHeight.
//
// The era's first block (at FromHeight) is its ASERT anchor and must carry
// Bits, the era's initial bits. Every later block of the era carries the
// aserti3-2d target computed from the anchor (height FromHeight, bits
// Bits, parent time AnchorParentTime) and its parent. AnchorParentTime
// zero means the timestamp of the block at FromHeight − 1 on the chain
// being extended, so that a switch at a future height schedules from when
// the chain actually gets there; the era at height 0 (the genesis block,
// which has no parent) must set it.
type PowEra struct {
	FromHeight       int32
	Algorithm        PowAlgorithm
	AnchorParentTime int64 // Unix seconds; 0: from the chain
	Bits             uint32

	// HalfLife and IdealBlockTime are in seconds; PowLimit is the
	// easiest target of the era.
	HalfLife       int64
	IdealBlockTime int64
	PowLimit       *big.Int
}

// PowParams are the pow engine's parameters (design §9.0, §9.1).
type PowParams struct {
	// Schedule lists the eras by strictly increasing FromHeight; the
	// first starts at height 0.
	Schedule []PowEra

	// MainRefDepth is how many blocks below the mainchain tip the
	// producer saw a sideblock's main reference must be at least.
	MainRefDepth int32

	// MaxFutureBlockTime is how far past a node's clock a timestamp may
	// be.
	MaxFutureBlockTime time.Duration

	// GenesisTime is the timestamp of the pow sidechain's genesis block,
	// in Unix seconds.
	GenesisTime int64
}

// EraAt returns the era in force at height: the last one whose FromHeight
// is at most height. It returns false for a negative height or an empty
// schedule.
func (p *PowParams) EraAt(height int32) (PowEra, bool) {
	var era PowEra
	found := false
	for _, e := range p.Schedule {
		if e.FromHeight > height {
			break
		}
		era, found = e, true
	}
	return era, found
}

// Check reports parameters no chain can follow: an empty schedule, one
// that does not start at height 0 or whose heights do not increase, an
// unknown algorithm, a half-life, ideal block time or pow limit that is
// not positive, a pow limit wider than 256 bits, initial bits whose target
// is not in (0, PowLimit], or a genesis era without its anchor parent
// time.
func (p *PowParams) Check() error {
	if len(p.Schedule) == 0 {
		return errors.New("pow schedule is empty")
	}
	if p.MainRefDepth < 0 {
		return fmt.Errorf("MainRefDepth %d is negative", p.MainRefDepth)
	}
	if p.MaxFutureBlockTime <= 0 {
		return fmt.Errorf("MaxFutureBlockTime %v is not positive",
			p.MaxFutureBlockTime)
	}
	for i, e := range p.Schedule {
		switch {
		case i == 0 && e.FromHeight != 0:
			return fmt.Errorf("pow era 0 starts at height %d, not 0",
				e.FromHeight)
		case i > 0 && e.FromHeight <= p.Schedule[i-1].FromHeight:
			return fmt.Errorf("pow era %d starts at height %d, not "+
				"after era %d's %d", i, e.FromHeight, i-1,
				p.Schedule[i-1].FromHeight)
		case e.Algorithm < SHA256d || e.Algorithm > Ethash:
			return fmt.Errorf("pow era %d: unknown algorithm %v", i,
				e.Algorithm)
		case e.HalfLife <= 0 || e.IdealBlockTime <= 0:
			return fmt.Errorf("pow era %d: half-life %d s and ideal "+
				"block time %d s must be positive", i, e.HalfLife,
				e.IdealBlockTime)
		case e.PowLimit == nil || e.PowLimit.Sign() <= 0 ||
			e.PowLimit.BitLen() > 256:
			return fmt.Errorf("pow era %d: pow limit must be positive "+
				"and fit in 256 bits", i)
		case e.FromHeight == 0 && e.AnchorParentTime == 0:
			return fmt.Errorf("pow era %d starts at genesis and needs "+
				"its anchor parent time", i)
		}
		t := blockchain.CompactToBig(e.Bits)
		if t.Sign() <= 0 || t.Cmp(e.PowLimit) > 0 ||
			blockchain.BigToCompact(t) != e.Bits {
			return fmt.Errorf("pow era %d: initial bits %08x are not "+
				"a canonical target in (0, pow limit]", i, e.Bits)
		}
	}
	return nil
}

// EngineDigest returns the SHA256d of the engine and its parameters in a
// fixed encoding: the engine byte, then for pow every field of PowParams
// (the schedule era by era, each pow limit as 32 big-endian bytes), for
// pos every field of PosParams (PosParams.writeDigest), then, only for a
// network with a notary set, its consensus parameters (see
// NotaryParams.writeDigest). Two networks that differ in any engine or
// notary parameter have different digests; a network without a notary set
// has the digest it had before notary sets existed.
func (p *Params) EngineDigest() chainhash.Hash {
	var b bytes.Buffer
	b.WriteString("sidenode engine params v1")
	b.WriteByte(byte(p.Engine))
	if p.Engine == PoW && p.Pow != nil {
		w := func(v any) { _ = binary.Write(&b, binary.BigEndian, v) }
		pp := p.Pow
		w(uint32(len(pp.Schedule)))
		for _, e := range pp.Schedule {
			w(e.FromHeight)
			w(uint8(e.Algorithm))
			w(e.AnchorParentTime)
			w(e.Bits)
			w(e.HalfLife)
			w(e.IdealBlockTime)
			var limit [32]byte
			if e.PowLimit != nil && e.PowLimit.Sign() > 0 &&
				e.PowLimit.BitLen() <= 256 {
				e.PowLimit.FillBytes(limit[:])
			}
			b.Write(limit[:])
		}
		w(pp.MainRefDepth)
		w(int64(pp.MaxFutureBlockTime))
		w(pp.GenesisTime)
	}
	if p.Engine == PoS && p.Pos != nil {
		p.Pos.writeDigest(&b)
	}
	if p.Notary != nil {
		p.Notary.writeDigest(&b)
	}
	return chainhash.DoubleHashH(b.Bytes())
}

// genesisTag starts the pow genesis coinbase's second push.
const genesisTag = "sidenode genesis"

// PowGenesis returns the genesis block of a pow network's sidechain, as
// its header and its one transaction, a coinbase. The coinbase's signature
// script pushes the height (0), then genesisTag followed by the sidechain
// id, the engine digest and the mainchain's genesis hash; its one output
// is an unspendable OP_RETURN of value 0. The header has version 1, no
// parent, the §6 merkle root of the coinbase (its txid and the empty
// withdrawal root, which is the zero hash), the era-0 initial bits and
// GenesisTime, and nonce 0: the genesis block is trusted, not mined.
//
// Its hash is the network's genesis id (GenesisID), so it commits to the
// engine and every engine parameter.
func (p *Params) PowGenesis() (*wire.BlockHeader, *wire.MsgTx, error) {
	if p.Engine != PoW || p.Pow == nil {
		return nil, nil, fmt.Errorf("network %s does not run the pow "+
			"engine", p.Name)
	}
	if err := p.Pow.Check(); err != nil {
		return nil, nil, fmt.Errorf("network %s: %w", p.Name, err)
	}
	if p.Notary != nil {
		if err := p.Notary.Check(); err != nil {
			return nil, nil, fmt.Errorf("network %s: %w", p.Name, err)
		}
	}
	digest := p.EngineDigest()
	extra := make([]byte, 0, len(genesisTag)+4+2*chainhash.HashSize)
	extra = append(extra, genesisTag...)
	extra = binary.BigEndian.AppendUint32(extra, p.SidechainID)
	extra = append(extra, digest[:]...)
	extra = append(extra, p.Main.GenesisHash[:]...)
	script, err := txscript.NewScriptBuilder().AddInt64(0).AddData(extra).Script()
	if err != nil {
		return nil, nil, err
	}
	burn, err := txscript.NullDataScript(nil)
	if err != nil {
		return nil, nil, err
	}
	tx := wire.NewMsgTx(wire.TxVersion)
	tx.AddTxIn(&wire.TxIn{
		PreviousOutPoint: *wire.NewOutPoint(&chainhash.Hash{}, math.MaxUint32),
		SignatureScript:  script,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	tx.AddTxOut(wire.NewTxOut(0, burn))
	txid := tx.TxHash()
	var noWithdrawals chainhash.Hash
	h := &wire.BlockHeader{
		Version:    1,
		MerkleRoot: blockchain.HashMerkleBranches(&txid, &noWithdrawals),
		Timestamp:  time.Unix(p.Pow.GenesisTime, 0),
		Bits:       p.Pow.Schedule[0].Bits,
	}
	return h, tx, nil
}

// GenesisID returns the hash that identifies the network's genesis: the
// mainchain's genesis hash under mainstake (as it has always been, so
// existing stores keep opening), the hash of PowGenesis under pow, and
// under pos the hash of the engine digest and the network (posGenesisID). A
// store records it and peers compare it at the handshake. It fails for an
// engine this program cannot run and for invalid pow parameters.
func (p *Params) GenesisID() (chainhash.Hash, error) {
	switch p.Engine {
	case Mainstake:
		return *p.Main.GenesisHash, nil
	case PoW:
		h, _, err := p.PowGenesis()
		if err != nil {
			return chainhash.Hash{}, err
		}
		return h.BlockHash(), nil
	case PoS:
		return p.posGenesisID()
	}
	return chainhash.Hash{}, fmt.Errorf("network %s: the %v engine has "+
		"no genesis in this program", p.Name, p.Engine)
}
