package powchain

import (
	"bytes"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// Peers is the pow chain as the peer protocol sees it (sidepeer.PowBlocks):
// headers-first sync over the header index, and blocks in their wire
// form, an 80-byte header and the §6 body. Its errors are
// headerchain.RuleErrors, so that the peer layer can judge the sender.
type Peers struct {
	c *Chain
}

// ForPeers returns the chain for the peer protocol.
func (c *Chain) ForPeers() Peers { return Peers{c: c} }

// Locator returns the block locator of the best header chain.
func (p Peers) Locator() []chainhash.Hash { return p.c.index.Locator() }

// HeadersAfter answers a peer's getheaders.
func (p Peers) HeadersAfter(locator []chainhash.Hash, stop chainhash.Hash, max int) [][]byte {
	hs := p.c.index.HeadersAfter(locator, stop, max)
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = headerBytes(&hs[i])
	}
	return out
}

// NeedBodies returns the blocks of the best header chain to fetch next.
func (p Peers) NeedBodies(max int) []chainhash.Hash { return p.c.index.NeedBodies(max) }

// BestHeight returns the height of the best header chain.
func (p Peers) BestHeight() int32 { return p.c.index.BestHeader().Height() }

// ProcessHeaders adds the headers a peer sent, in order.
func (p Peers) ProcessHeaders(headers [][]byte) (int, error) {
	hs := make([]wire.BlockHeader, 0, len(headers))
	for i, raw := range headers {
		var h wire.BlockHeader
		if len(raw) != sideblock.PowHeaderSize {
			return 0, headerchain.RuleError{ErrorCode: headerchain.ErrBadBody,
				Description: fmt.Sprintf("header %d is %d bytes", i, len(raw))}
		}
		if err := h.Deserialize(bytes.NewReader(raw)); err != nil {
			return 0, headerchain.RuleError{ErrorCode: headerchain.ErrBadBody,
				Description: fmt.Sprintf("header %d: %v", i, err)}
		}
		hs = append(hs, h)
	}
	return p.c.index.ProcessHeaders(hs)
}

// AcceptBlock takes a block from a peer. A block whose parent the node
// lacks is kept as an orphan and reported as ErrUnknownParent, so that the
// peer layer asks for the headers that lead to it.
func (p Peers) AcceptBlock(header, body []byte) error {
	hdr, err := sideblock.ParsePowHeader(header)
	if err != nil {
		return headerchain.RuleError{ErrorCode: headerchain.ErrBadBody,
			Description: err.Error(), Err: err}
	}
	txs, err := sideblock.DecodeBody(body)
	if err != nil {
		return headerchain.RuleError{ErrorCode: headerchain.ErrBadBody,
			Description: err.Error(), Err: err}
	}
	b := &headerchain.Block{Header: *hdr.Wire(), Transactions: txs}
	stored, err := p.c.AcceptBlock(b)
	if err != nil {
		return err
	}
	if len(stored) == 0 {
		return headerchain.RuleError{ErrorCode: headerchain.ErrUnknownParent,
			Description: fmt.Sprintf("block %v is an orphan: parent %v "+
				"unknown", b.BlockHash(), b.Header.PrevBlock)}
	}
	return nil
}

// Block returns a block the node holds, in its wire form.
func (p Peers) Block(hash chainhash.Hash) (header, body []byte, ok bool) {
	b, ok := p.c.Block(hash)
	if !ok {
		return nil, nil, false
	}
	sb := sideBlock(b)
	body, err := sb.BodyBytes()
	if err != nil {
		return nil, nil, false
	}
	return headerBytes(&b.Header), body, true
}

// HaveBlock reports whether the node holds a block with its body.
func (p Peers) HaveBlock(hash chainhash.Hash) bool {
	_, ok := p.c.Block(hash)
	return ok
}

// Tip returns the chain state's tip: the best connected block.
func (p Peers) Tip() (chainhash.Hash, int32, bool) { return p.c.side.Tip() }

func headerBytes(h *wire.BlockHeader) []byte {
	var buf bytes.Buffer
	buf.Grow(sideblock.PowHeaderSize)
	_ = h.Serialize(&buf) // a bytes.Buffer does not fail
	return buf.Bytes()
}
