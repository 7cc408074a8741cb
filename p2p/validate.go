package p2p

import (
	"bytes"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// BlockHeaderSize is the size of a sideblock header under the mainstake
// engine (PROTOCOL §6): hashPrevBlock ‖ hashMerkleRoot.
const BlockHeaderSize = 64

// PowBlockHeaderSize is the size of a sideblock header under the pow
// engine: a Bitcoin-format block header (wire.BlockHeader).
const PowBlockHeaderSize = 80

// limits are the bounds validate checks messages against.
type limits struct {
	maxItems   int // items per Inventory, GetData or NotFound
	maxData    int // bytes of a block body or a transaction
	headerSize int // bytes of a Block's header: the engine's
}

// defaultLimits are the limits of a mainstake Config with default values.
var defaultLimits = limits{
	maxItems:   DefaultMaxInventoryItems,
	maxData:    DefaultMaxMessageSize,
	headerSize: BlockHeaderSize,
}

// validate checks m against the default limits; see limits.validate.
func validate(m *p2pv1.Message) error {
	return defaultLimits.validate(m)
}

// validate checks the structure of a received message: exactly one payload
// set, hashes of 32 bytes, Block headers of the engine's size (64 bytes,
// or 80 under pow), known inventory types, item counts within the limit,
// non-empty block bodies and transactions within the limit, non-empty
// PegSignatures of at most MaxPegSignaturesSize, RoundMessages of at most
// MaxRoundMessageSize, GetHeaders with 1 to
// MaxLocatorHashes locator hashes, Headers with at most
// MaxHeadersPerMessage headers of 80 bytes, and a well-formed Hello. It does not check what the message means (whether a
// block is valid, whether a Hello names our network). It returns a
// RuleError and never panics, whatever m holds.
func (l limits) validate(m *p2pv1.Message) error {
	if m == nil {
		return ruleError(ErrNoPayload, "empty message")
	}
	switch p := m.GetPayload().(type) {
	case *p2pv1.Message_Hello:
		return l.validateHello(p.Hello)

	case *p2pv1.Message_Inventory:
		if p.Inventory == nil {
			return ruleError(ErrNoPayload, "inventory: no payload")
		}
		return l.validateItems("inventory", p.Inventory.GetItems())

	case *p2pv1.Message_GetData:
		if p.GetData == nil {
			return ruleError(ErrNoPayload, "getdata: no payload")
		}
		return l.validateItems("getdata", p.GetData.GetItems())

	case *p2pv1.Message_NotFound:
		if p.NotFound == nil {
			return ruleError(ErrNoPayload, "notfound: no payload")
		}
		return l.validateItems("notfound", p.NotFound.GetItems())

	case *p2pv1.Message_Block:
		b := p.Block
		if b == nil {
			return ruleError(ErrNoPayload, "block: no payload")
		}
		if len(b.GetHeader()) != l.headerSize {
			return ruleErrorf(ErrBadHeader, "block header has %d "+
				"bytes, want %d", len(b.GetHeader()),
				l.headerSize)
		}
		return l.validateData("block body", b.GetBody())

	case *p2pv1.Message_Transaction:
		if p.Transaction == nil {
			return ruleError(ErrNoPayload, "transaction: no payload")
		}
		return l.validateData("transaction", p.Transaction.GetRaw())

	case *p2pv1.Message_PegSignatures:
		if p.PegSignatures == nil {
			return ruleError(ErrNoPayload, "peg signatures: no payload")
		}
		n := len(p.PegSignatures.GetPsbt())
		if n == 0 || n > MaxPegSignaturesSize {
			return ruleErrorf(ErrBadData, "peg signatures have %d "+
				"bytes, want 1 to %d", n, MaxPegSignaturesSize)
		}
		return nil

	case *p2pv1.Message_PosItem:
		if p.PosItem == nil {
			return ruleError(ErrNoPayload, "pos item: no payload")
		}
		n := len(p.PosItem.GetData())
		if n == 0 || n > MaxPosItemSize {
			return ruleErrorf(ErrBadData, "pos item has %d bytes, "+
				"want 1 to %d", n, MaxPosItemSize)
		}
		return nil

	case *p2pv1.Message_RoundMessage:
		if p.RoundMessage == nil {
			return ruleError(ErrNoPayload, "round message: no payload")
		}
		n := len(p.RoundMessage.GetRaw())
		if n == 0 || n > MaxRoundMessageSize {
			return ruleErrorf(ErrBadData, "round message has %d "+
				"bytes, want 1 to %d", n, MaxRoundMessageSize)
		}
		return nil

	case *p2pv1.Message_GetHeaders:
		return validateGetHeaders(p.GetHeaders)

	case *p2pv1.Message_HeaderBatch:
		return validateHeaders(p.HeaderBatch)

	case *p2pv1.Message_Ping:
		if p.Ping == nil {
			return ruleError(ErrNoPayload, "ping: no payload")
		}
		return nil

	case *p2pv1.Message_Pong:
		if p.Pong == nil {
			return ruleError(ErrNoPayload, "pong: no payload")
		}
		return nil

	default:
		return ruleError(ErrNoPayload, "message has no known payload")
	}
}

// validateHello checks the fields of a Hello that have a form. What they
// say (network, sidechain, version, nonce) is the handshake's business.
func (l limits) validateHello(h *p2pv1.Hello) error {
	switch {
	case h == nil:
		return ruleError(ErrNoPayload, "hello: no payload")
	case h.GetNetwork() == "" || len(h.GetNetwork()) > MaxNetworkLen:
		return ruleErrorf(ErrBadHello, "hello: network name has %d "+
			"bytes, want 1 to %d", len(h.GetNetwork()), MaxNetworkLen)
	case len(h.GetEngine()) > MaxNetworkLen:
		return ruleErrorf(ErrBadHello, "hello: engine name has %d "+
			"bytes, max %d", len(h.GetEngine()), MaxNetworkLen)
	case len(h.GetGenesis()) != 0 &&
		len(h.GetGenesis()) != chainhash.HashSize:
		return ruleErrorf(ErrBadHello, "hello: genesis id has %d "+
			"bytes, want 32", len(h.GetGenesis()))
	case len(h.GetUserAgent()) > MaxUserAgentLen:
		return ruleErrorf(ErrBadHello, "hello: user agent has %d "+
			"bytes, max %d", len(h.GetUserAgent()), MaxUserAgentLen)
	case len(h.GetBestBlock()) != 0 &&
		len(h.GetBestBlock()) != chainhash.HashSize:
		return ruleErrorf(ErrBadHello, "hello: best block hash has %d "+
			"bytes", len(h.GetBestBlock()))
	}
	return nil
}

// validateGetHeaders checks a GetHeaders: 1 to MaxLocatorHashes locator
// hashes of 32 bytes, and a stop hash that is empty or 32 bytes.
func validateGetHeaders(g *p2pv1.GetHeaders) error {
	if g == nil {
		return ruleError(ErrNoPayload, "getheaders: no payload")
	}
	loc := g.GetLocator()
	if len(loc) == 0 || len(loc) > MaxLocatorHashes {
		return ruleErrorf(ErrBadLocator, "getheaders locator has %d "+
			"hashes, want 1 to %d", len(loc), MaxLocatorHashes)
	}
	for i, h := range loc {
		if len(h) != chainhash.HashSize {
			return ruleErrorf(ErrBadHash, "getheaders locator hash "+
				"%d has %d bytes", i, len(h))
		}
	}
	if n := len(g.GetStop()); n != 0 && n != chainhash.HashSize {
		return ruleErrorf(ErrBadHash, "getheaders stop hash has %d "+
			"bytes", n)
	}
	return nil
}

// validateHeaders checks a Headers: at most MaxHeadersPerMessage headers,
// each of PowBlockHeaderSize bytes.
func validateHeaders(h *p2pv1.Headers) error {
	if h == nil {
		return ruleError(ErrNoPayload, "headers: no payload")
	}
	hs := h.GetHeaders()
	if len(hs) > MaxHeadersPerMessage {
		return ruleErrorf(ErrTooManyHeaders, "headers has %d headers, "+
			"at most %d", len(hs), MaxHeadersPerMessage)
	}
	for i, b := range hs {
		if len(b) != PowBlockHeaderSize {
			return ruleErrorf(ErrBadHeader, "headers: header %d has "+
				"%d bytes, want %d", i, len(b), PowBlockHeaderSize)
		}
	}
	return nil
}

// validateItems checks an item list: 1 to maxItems items, each of a known
// type with a 32-byte hash.
func (l limits) validateItems(what string, items []*p2pv1.InventoryItem) error {
	if len(items) == 0 || len(items) > l.maxItems {
		return ruleErrorf(ErrBadItemCount, "%s has %d items, want 1 "+
			"to %d", what, len(items), l.maxItems)
	}
	for i, it := range items {
		switch it.GetType() {
		case p2pv1.InventoryType_INVENTORY_TYPE_BLOCK,
			p2pv1.InventoryType_INVENTORY_TYPE_TX,
			p2pv1.InventoryType_INVENTORY_TYPE_PEG_SIGNATURES,
			p2pv1.InventoryType_INVENTORY_TYPE_POS,
			p2pv1.InventoryType_INVENTORY_TYPE_ROUND_MESSAGE:
		default:
			return ruleErrorf(ErrBadInvType, "%s item %d has "+
				"unknown type %d", what, i, int32(it.GetType()))
		}
		if len(it.GetHash()) != chainhash.HashSize {
			return ruleErrorf(ErrBadHash, "%s item %d hash has %d "+
				"bytes", what, i, len(it.GetHash()))
		}
	}
	return nil
}

// validateData checks a block body or raw transaction: 1 to maxData bytes.
func (l limits) validateData(what string, data []byte) error {
	if len(data) == 0 || len(data) > l.maxData {
		return ruleErrorf(ErrBadData, "%s has %d bytes, want 1 to %d",
			what, len(data), l.maxData)
	}
	return nil
}

// blockHash returns the hash of a sideblock header, 64 or 80 bytes:
// SHA256d, which for an 80-byte header is wire.BlockHeader.BlockHash.
func blockHash(header []byte) chainhash.Hash {
	return chainhash.DoubleHashH(header)
}

// parseTxID decodes raw as exactly one Bitcoin wire transaction and returns
// its txid.
func parseTxID(raw []byte) (chainhash.Hash, error) {
	var tx wire.MsgTx
	r := bytes.NewReader(raw)
	if err := tx.Deserialize(r); err != nil {
		return chainhash.Hash{}, ruleErrorf(ErrBadTx, "transaction: %v",
			err)
	}
	if r.Len() != 0 {
		return chainhash.Hash{}, ruleErrorf(ErrBadTx, "transaction: %d "+
			"trailing bytes", r.Len())
	}
	return tx.TxHash(), nil
}
