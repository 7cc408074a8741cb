package p2p

import (
	"bytes"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"google.golang.org/protobuf/proto"

	p2pv1 "github.com/mainstake/sidenode/proto/sidenode/p2p/v1"
)

// item returns a protocol inventory item.
func item(typ p2pv1.InventoryType, hashLen int) *p2pv1.InventoryItem {
	return &p2pv1.InventoryItem{Type: typ, Hash: make([]byte, hashLen)}
}

const (
	blockT = p2pv1.InventoryType_INVENTORY_TYPE_BLOCK
	txT    = p2pv1.InventoryType_INVENTORY_TYPE_TX
	pegT   = p2pv1.InventoryType_INVENTORY_TYPE_PEG_SIGNATURES
)

// validMessages returns one valid message of each kind, for tests and
// fuzz seeds.
func validMessages() []*p2pv1.Message {
	return []*p2pv1.Message{
		{Payload: &p2pv1.Message_Hello{Hello: &p2pv1.Hello{
			ProtocolVersion: ProtocolVersion, Network: "regtest", SidechainId: 7,
			BestBlock: make([]byte, 32), BestHeight: 9,
			UserAgent: "x", Nonce: 5}}},
		inventoryMsg([]InvItem{BlockItem([32]byte{1}), TxItem([32]byte{2}),
			PegItem([32]byte{3})}),
		getDataMsg([]InvItem{BlockItem([32]byte{1}), PegItem([32]byte{3})}),
		notFoundMsg([]InvItem{TxItem([32]byte{2}), PegItem([32]byte{3})}),
		blockMsg(make([]byte, 64), []byte{1}),
		txMsg([]byte{1, 2, 3}),
		pegSignaturesMsg([]byte("psbt\xff")),
		pegSignaturesMsg(make([]byte, MaxPegSignaturesSize)),
		roundMessageMsg([]byte{1}),
		roundMessageMsg(make([]byte, MaxRoundMessageSize)),
		inventoryMsg([]InvItem{RoundItem([32]byte{4})}),
		pingMsg(1),
		pongMsg(2),
		getHeadersMsg([]chainhash.Hash{{1}}, chainhash.Hash{}),
		getHeadersMsg(make([]chainhash.Hash, MaxLocatorHashes), chainhash.Hash{2}),
		headersMsg(nil),
		headersMsg(func() [][]byte {
			h := make([][]byte, MaxHeadersPerMessage)
			for i := range h {
				h[i] = make([]byte, 80)
			}
			return h
		}()),
	}
}

// TestValidate checks each rule of validate by its code.
func TestValidate(t *testing.T) {
	for _, m := range validMessages() {
		if err := validate(m); err != nil {
			t.Errorf("valid %v: %v", m, err)
		}
	}

	many := make([]*p2pv1.InventoryItem, DefaultMaxInventoryItems+1)
	for i := range many {
		many[i] = item(blockT, 32)
	}
	msg := func(p any) *p2pv1.Message {
		m := &p2pv1.Message{}
		switch p := p.(type) {
		case *p2pv1.Hello:
			m.Payload = &p2pv1.Message_Hello{Hello: p}
		case *p2pv1.Inventory:
			m.Payload = &p2pv1.Message_Inventory{Inventory: p}
		case *p2pv1.GetData:
			m.Payload = &p2pv1.Message_GetData{GetData: p}
		case *p2pv1.NotFound:
			m.Payload = &p2pv1.Message_NotFound{NotFound: p}
		case *p2pv1.Block:
			m.Payload = &p2pv1.Message_Block{Block: p}
		case *p2pv1.Transaction:
			m.Payload = &p2pv1.Message_Transaction{Transaction: p}
		case *p2pv1.PegSignatures:
			m.Payload = &p2pv1.Message_PegSignatures{PegSignatures: p}
		case *p2pv1.GetHeaders:
			m.Payload = &p2pv1.Message_GetHeaders{GetHeaders: p}
		case *p2pv1.Headers:
			m.Payload = &p2pv1.Message_HeaderBatch{HeaderBatch: p}
		}
		return m
	}
	hashes := func(n, size int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			out[i] = make([]byte, size)
		}
		return out
	}
	hello := func(mod func(*p2pv1.Hello)) *p2pv1.Message {
		h := &p2pv1.Hello{ProtocolVersion: 1, Network: "regtest",
			SidechainId: 7}
		mod(h)
		return msg(h)
	}
	tests := []struct {
		name string
		m    *p2pv1.Message
		code ErrorCode
	}{
		{"nil", nil, ErrNoPayload},
		{"empty", &p2pv1.Message{}, ErrNoPayload},
		{"nil hello", &p2pv1.Message{Payload: &p2pv1.Message_Hello{}}, ErrNoPayload},
		{"nil inv", &p2pv1.Message{Payload: &p2pv1.Message_Inventory{}}, ErrNoPayload},
		{"nil getdata", &p2pv1.Message{Payload: &p2pv1.Message_GetData{}}, ErrNoPayload},
		{"nil notfound", &p2pv1.Message{Payload: &p2pv1.Message_NotFound{}}, ErrNoPayload},
		{"nil block", &p2pv1.Message{Payload: &p2pv1.Message_Block{}}, ErrNoPayload},
		{"nil tx", &p2pv1.Message{Payload: &p2pv1.Message_Transaction{}}, ErrNoPayload},
		{"nil ping", &p2pv1.Message{Payload: &p2pv1.Message_Ping{}}, ErrNoPayload},
		{"nil pong", &p2pv1.Message{Payload: &p2pv1.Message_Pong{}}, ErrNoPayload},
		{"nil peg", &p2pv1.Message{Payload: &p2pv1.Message_PegSignatures{}}, ErrNoPayload},
		{"nil round message", &p2pv1.Message{Payload: &p2pv1.Message_RoundMessage{}}, ErrNoPayload},
		{"empty round message", roundMessageMsg(nil), ErrBadData},
		{"long round message", roundMessageMsg(make([]byte, MaxRoundMessageSize+1)), ErrBadData},
		{"short hash", msg(&p2pv1.Inventory{Items: []*p2pv1.InventoryItem{item(blockT, 31)}}), ErrBadHash},
		{"long hash", msg(&p2pv1.GetData{Items: []*p2pv1.InventoryItem{item(txT, 33)}}), ErrBadHash},
		{"short peg hash", msg(&p2pv1.NotFound{Items: []*p2pv1.InventoryItem{item(pegT, 0)}}), ErrBadHash},
		{"nil item", msg(&p2pv1.NotFound{Items: []*p2pv1.InventoryItem{nil}}), ErrBadInvType},
		{"unspecified type", msg(&p2pv1.Inventory{Items: []*p2pv1.InventoryItem{item(0, 32)}}), ErrBadInvType},
		{"unknown type", msg(&p2pv1.Inventory{Items: []*p2pv1.InventoryItem{item(6, 32)}}), ErrBadInvType},
		{"no items", msg(&p2pv1.Inventory{}), ErrBadItemCount},
		{"too many items", msg(&p2pv1.GetData{Items: many}), ErrBadItemCount},
		{"short header", msg(&p2pv1.Block{Header: make([]byte, 63), Body: []byte{1}}), ErrBadHeader},
		{"long header", msg(&p2pv1.Block{Header: make([]byte, 65), Body: []byte{1}}), ErrBadHeader},
		{"empty body", msg(&p2pv1.Block{Header: make([]byte, 64)}), ErrBadData},
		{"big body", msg(&p2pv1.Block{Header: make([]byte, 64), Body: make([]byte, DefaultMaxMessageSize+1)}), ErrBadData},
		{"empty tx", msg(&p2pv1.Transaction{}), ErrBadData},
		{"big tx", msg(&p2pv1.Transaction{Raw: make([]byte, DefaultMaxMessageSize+1)}), ErrBadData},
		{"empty peg", msg(&p2pv1.PegSignatures{}), ErrBadData},
		{"big peg", msg(&p2pv1.PegSignatures{Psbt: make([]byte, MaxPegSignaturesSize+1)}), ErrBadData},
		{"no network", hello(func(h *p2pv1.Hello) { h.Network = "" }), ErrBadHello},
		{"long network", hello(func(h *p2pv1.Hello) { h.Network = strings.Repeat("n", MaxNetworkLen+1) }), ErrBadHello},
		{"long agent", hello(func(h *p2pv1.Hello) { h.UserAgent = strings.Repeat("a", MaxUserAgentLen+1) }), ErrBadHello},
		{"short best", hello(func(h *p2pv1.Hello) { h.BestBlock = []byte{1} }), ErrBadHello},
		{"nil getheaders", &p2pv1.Message{Payload: &p2pv1.Message_GetHeaders{}}, ErrNoPayload},
		{"nil headers", &p2pv1.Message{Payload: &p2pv1.Message_HeaderBatch{}}, ErrNoPayload},
		{"no locator", msg(&p2pv1.GetHeaders{}), ErrBadLocator},
		{"long locator", msg(&p2pv1.GetHeaders{Locator: hashes(MaxLocatorHashes+1, 32)}), ErrBadLocator},
		{"short locator hash", msg(&p2pv1.GetHeaders{Locator: hashes(2, 31)}), ErrBadHash},
		{"short stop", msg(&p2pv1.GetHeaders{Locator: hashes(1, 32), Stop: []byte{1}}), ErrBadHash},
		{"too many headers", msg(&p2pv1.Headers{Headers: hashes(MaxHeadersPerMessage+1, 80)}), ErrTooManyHeaders},
		{"short pow header", msg(&p2pv1.Headers{Headers: hashes(3, 79)}), ErrBadHeader},
		{"mainstake header in headers", msg(&p2pv1.Headers{Headers: hashes(1, 64)}), ErrBadHeader},
		{"pow header on mainstake", msg(&p2pv1.Block{Header: make([]byte, 80), Body: []byte{1}}), ErrBadHeader},
	}
	for _, tc := range tests {
		if err := validate(tc.m); !IsErrorCode(err, tc.code) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.code)
		}
	}

	// Limits other than the defaults apply.
	small := limits{maxItems: 1, maxData: 2}
	if err := small.validate(txMsg([]byte{1, 2, 3})); !IsErrorCode(err, ErrBadData) {
		t.Errorf("small limits, tx: %v", err)
	}
	two := inventoryMsg([]InvItem{BlockItem([32]byte{1}), BlockItem([32]byte{2})})
	if err := small.validate(two); !IsErrorCode(err, ErrBadItemCount) {
		t.Errorf("small limits, inv: %v", err)
	}

	// Under pow a Block carries an 80-byte header, and 64 is refused.
	pow := limits{maxItems: 1, maxData: 10, headerSize: PowBlockHeaderSize}
	if err := pow.validate(blockMsg(make([]byte, 80), []byte{1})); err != nil {
		t.Errorf("pow block: %v", err)
	}
	if err := pow.validate(blockMsg(make([]byte, 64), []byte{1})); !IsErrorCode(err, ErrBadHeader) {
		t.Errorf("mainstake header under pow: %v", err)
	}
}

// TestParseTxID checks that transactions decode to their txid and that
// trailing bytes are refused.
func TestParseTxID(t *testing.T) {
	raw := testTx(t)
	if _, err := parseTxID(raw); err != nil {
		t.Fatal(err)
	}
	if _, err := parseTxID(append(raw, 0)); !IsErrorCode(err, ErrBadTx) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := parseTxID([]byte{1, 2, 3}); !IsErrorCode(err, ErrBadTx) {
		t.Fatalf("garbage: %v", err)
	}
}

// FuzzMessage unmarshals arbitrary bytes as a Message and validates it.
// Nothing may panic; whatever validate accepts must survive the handling
// steps that follow it (hashing, tx decoding, item conversion).
func FuzzMessage(f *testing.F) {
	for _, m := range validMessages() {
		b, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	b, _ := proto.Marshal(txMsg(testTx(f)))
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte{0x0a, 0x00})

	f.Fuzz(func(t *testing.T, data []byte) {
		var m p2pv1.Message
		if err := proto.Unmarshal(data, &m); err != nil {
			return
		}
		err := validate(&m)
		if err != nil {
			if _, ok := err.(RuleError); !ok {
				t.Fatalf("error %T %v is not a RuleError", err, err)
			}
			return
		}
		switch p := m.GetPayload().(type) {
		case *p2pv1.Message_Block:
			_ = blockHash(p.Block.GetHeader())
		case *p2pv1.Message_Transaction:
			_, _ = parseTxID(p.Transaction.GetRaw())
		case *p2pv1.Message_PegSignatures:
			_ = PegSignaturesHash(p.PegSignatures.GetPsbt())
		case *p2pv1.Message_HeaderBatch:
			for _, h := range p.HeaderBatch.GetHeaders() {
				_ = blockHash(h)
			}
		case *p2pv1.Message_Inventory:
			for _, it := range p.Inventory.GetItems() {
				back := fromProto(it).toProto()
				if !bytes.Equal(back.GetHash(), it.GetHash()) ||
					back.GetType() != it.GetType() {
					t.Fatalf("item %v round-trips to %v", it, back)
				}
			}
		}
		_ = countsAgainstRate(&m)
	})
}
