package stratum

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/headerchain"
)

// fuzzConn is a net.Conn that reads its input in chunks of chunk bytes
// and throws away what is written.
type fuzzConn struct {
	mu     sync.Mutex
	in     *bytes.Reader
	chunk  int
	closed bool
	wrote  int
}

func (f *fuzzConn) Read(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, net.ErrClosed
	}
	if len(b) > f.chunk {
		b = b[:f.chunk]
	}
	return f.in.Read(b)
}

func (f *fuzzConn) Write(b []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return 0, net.ErrClosed
	}
	f.wrote += len(b)
	return len(b), nil
}

func (f *fuzzConn) Close() error {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	return nil
}

func (f *fuzzConn) LocalAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 3333} }
func (f *fuzzConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (f *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (f *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (f *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzLine feeds arbitrary bytes, in chunks, through a connection's
// reader: line framing, the JSON parser and every method's handler. It
// must never panic, and every buffered byte must be given back.
func FuzzLine(f *testing.F) {
	sub := `{"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}` + "\n"
	auth := `{"id":2,"method":"mining.authorize","params":["sa1miner.rig","x"]}` + "\n"
	seeds := []string{
		sub + auth + `{"id":3,"method":"mining.submit","params":["sa1miner.rig","1","00000000","6553f100","12345678"]}` + "\n",
		`{"id":1,"method":"mining.configure","params":[["version-rolling"],{"version-rolling.mask":"1fffe000","version-rolling.min-bit-count":2}]}` + "\n" +
			sub + auth + `{"id":4,"method":"mining.submit","params":["sa1miner.rig","1","00000000","6553f100","12345678","00002000"]}` + "\n",
		`{"id":1,"method":"mining.subscribe","params":["bmminer/2.0.0","0123456789abcdef"]}` + "\n" + `{"id":2,"method":"mining.extranonce.subscribe","params":[]}` + "\n",
		sub + `{"id":5,"method":"mining.suggest_difficulty","params":[512]}` + "\n" + `{"params":["sa1x.y","x,d=1e-9"],"id":6,"method":"mining.authorize"}` + "\r\n",
		"garbage\n\n\r\n{}\n[]\nnull\n{\"id\":{},\"method\":\"x\"}\n",
		`{"id":1,"method":"mining.submit","params":[1,2,3,4,5,6,7]}` + "\n",
		`{"id":1,"method":"mining.subscribe","params":["` + string(bytes.Repeat([]byte("a"), 3000)),
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(7))
	}
	src := &fakeSource{ch: make(chan struct{}, 1)}
	src.t = template(f, 10, 1, hardBits)
	cfg := testConfig()
	cfg.MaxLineSize = 2048
	cfg.ReadBufferSize = 64
	srv, err := New(cfg, src, &fakeBlocks{blocks: make(chan *headerchain.Block, 1<<20)}, &fakeShares{}, testAuth())
	if err != nil {
		f.Fatal(err)
	}
	srv.refreshJob()
	port := &Port{Vardiff: cfg.Vardiff, StartDifficulty: cfg.StartDifficulty}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		fc := &fuzzConn{in: bytes.NewReader(in), chunk: int(chunk)%128 + 1}
		c := srv.admit(fc, port)
		if c == nil {
			t.Fatal("refused")
		}
		c.readLoop()
		// Writers started by the handlers end once the queue is empty
		// or the connection closed.
		c.drop(DropShutdown)
		if n := srv.buffered.Load(); n < 0 {
			t.Fatalf("buffered bytes %d", n)
		}
		srv.mu.Lock()
		live := len(srv.conns)
		srv.mu.Unlock()
		if live != 0 {
			t.Fatalf("%d connections left", live)
		}
		_ = io.EOF
	})
}
