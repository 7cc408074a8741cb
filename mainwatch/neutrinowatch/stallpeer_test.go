package neutrinowatch

import (
	"crypto/rand"
	"encoding/binary"
	"net"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
)

// stallPeer is a bitcoin peer that completes the version handshake,
// advertising full-node, witness and compact-filter service, and then
// answers nothing. It speaks through package wire directly: btcd's peer
// package would refuse neutrino's connection as one to itself, since both
// sides share its nonce cache in one process.
type stallPeer struct {
	addr string
	ln   net.Listener
	net  wire.BitcoinNet
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns []net.Conn
}

func newStallPeer(t *testing.T, h *btctest.Harness) *stallPeer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallPeer{addr: ln.Addr().String(), ln: ln, net: h.Params.Net}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *stallPeer) accept() {
	defer p.wg.Done()
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns = append(p.conns, conn)
		p.mu.Unlock()
		p.wg.Add(1)
		go p.serve(conn)
	}
}

func (p *stallPeer) serve(conn net.Conn) {
	defer p.wg.Done()
	defer conn.Close()
	pver := wire.ProtocolVersion
	write := func(msg wire.Message) error {
		_, err := wire.WriteMessageWithEncodingN(conn, msg, pver, p.net,
			wire.WitnessEncoding)
		return err
	}
	for {
		_, msg, _, err := wire.ReadMessageWithEncodingN(conn, pver, p.net,
			wire.WitnessEncoding)
		if err != nil {
			if _, ok := err.(*wire.MessageError); ok {
				continue // a message this wire version does not know
			}
			return
		}
		switch m := msg.(type) {
		case *wire.MsgVersion:
			services := wire.SFNodeNetwork | wire.SFNodeWitness | wire.SFNodeCF
			var nonce [8]byte
			_, _ = rand.Read(nonce[:])
			me := wire.NewNetAddressIPPort(net.IPv4(127, 0, 0, 1), 0, services)
			v := wire.NewMsgVersion(me, &m.AddrMe, binary.LittleEndian.Uint64(nonce[:]), 0)
			v.Services = services
			v.ProtocolVersion = int32(pver)
			if write(v) != nil || write(wire.NewMsgVerAck()) != nil {
				return
			}
		case *wire.MsgPing:
			// Alive, but useless.
			if write(wire.NewMsgPong(m.Nonce)) != nil {
				return
			}
		}
	}
}

func (p *stallPeer) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}
