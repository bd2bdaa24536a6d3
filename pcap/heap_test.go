package pcap

import (
	"container/heap"
	"math/rand/v2"
	"testing"
)

// stdLows is lowHeap as container/heap wants it.
type stdLows []lowEntry

func (h stdLows) Len() int           { return len(h) }
func (h stdLows) Less(i, j int) bool { return h[i].frame < h[j].frame }
func (h stdLows) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *stdLows) Push(x any)        { *h = append(*h, x.(lowEntry)) }
func (h *stdLows) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TestHeapAsContainerHeap: pushes, pops and inits in random order give
// what container/heap gives, ties (equal frames) included.
func TestHeapAsContainerHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var ours lowHeap
	var std stdLows
	for i := range 20000 {
		switch op := r.IntN(10); {
		case op < 5:
			e := lowEntry{frame: r.IntN(200), ver: i}
			heapPush(&ours, e)
			heap.Push(&std, e)
		case op < 9 && len(ours) > 0:
			a, b := heapPop(&ours), heap.Pop(&std).(lowEntry)
			if a != b {
				t.Fatalf("op %d: popped %+v, container/heap %+v", i, a, b)
			}
		case op == 9:
			r.Shuffle(len(ours), func(i, j int) { ours[i], ours[j] = ours[j], ours[i]; std[i], std[j] = std[j], std[i] })
			heapInit(ours)
			heap.Init(&std)
		}
		if len(ours) != len(std) || len(ours) > 0 && ours[0] != std[0] {
			t.Fatalf("op %d: heaps differ", i)
		}
	}
}
