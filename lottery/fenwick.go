package lottery

import "math/bits"

// fnode is one node of the Fenwick tree: the sums of value·lock (a) and of
// value (b) over a range of tickets. Keeping both sums in one node puts
// them in the same cache line for the descent.
type fnode struct {
	a, b Uint128
}

// fenwick is a binary indexed tree over the tickets in chain order. Ticket
// k (0-based) is element k+1; node i holds the sums over elements
// (i − lowbit(i), i]. nodes[0] is unused. A ticket that is not eligible
// contributes (0, 0).
type fenwick struct {
	nodes []fnode
}

// newFenwick returns an empty tree.
func newFenwick() fenwick {
	return fenwick{nodes: make([]fnode, 1)}
}

// size returns the number of elements.
func (f *fenwick) size() int {
	return len(f.nodes) - 1
}

// push appends an element with sums (a, b) in O(log n): the new node i
// covers (i − lowbit(i), i], which is the element itself plus the nodes
// that are its children.
func (f *fenwick) push(a, b Uint128) {
	i := len(f.nodes)
	for j := i - 1; j > i-(i&-i); j -= j & -j {
		a = a.add(f.nodes[j].a)
		b = b.add(f.nodes[j].b)
	}
	f.nodes = append(f.nodes, fnode{a: a, b: b})
}

// truncate drops every element from index n (0-based) on. No remaining node
// covers a dropped element, so nothing else changes.
func (f *fenwick) truncate(n int) {
	f.nodes = f.nodes[:n+1]
}

// update adds (a, b), mod 2^128, to element k (0-based).
func (f *fenwick) update(k int, a, b Uint128) {
	for i := k + 1; i < len(f.nodes); i += i & -i {
		n := &f.nodes[i]
		n.a = n.a.add(a)
		n.b = n.b.add(b)
	}
}

// search returns the smallest k (0-based) such that the weight of elements
// 0..k at height h, Σa − h·Σb, exceeds r, together with the weight of the
// elements before k (the start of k's range).
//
// It is a single descent from the largest power of two: every element in
// the tree has positive weight at h, so prefix weights are increasing and
// at each step the node either stays within r (take it) or not (go left).
// The caller guarantees r < total weight, so k < size.
func (f *fenwick) search(r Uint128, h uint64) (int, Uint128) {
	n := f.size()
	if n == 0 {
		return 0, Uint128{}
	}
	var (
		pos  int
		a, b Uint128
	)
	for step := 1 << (bits.Len(uint(n)) - 1); step > 0; step >>= 1 {
		next := pos + step
		if next > n {
			continue
		}
		nd := &f.nodes[next]
		na, nb := a.add(nd.a), b.add(nd.b)
		if !r.less(na.sub(nb.mul64(h))) {
			pos, a, b = next, na, nb
		}
	}
	return pos, a.sub(b.mul64(h))
}
