package pcap

// The reader's two heaps, without container/heap: its Push and Pop take
// and return any, which boxed every held exchange and watermark entry
// (four allocations per exchange). Same sift-up and sift-down as
// container/heap.

type sliceHeap[T any] interface {
	~[]T
	Less(i, j int) bool
}

func heapPush[H sliceHeap[T], T any](h *H, x T) {
	*h = append(*h, x)
	s := *h
	for j := len(s) - 1; j > 0; {
		i := (j - 1) / 2
		if !s.Less(j, i) {
			break
		}
		s[i], s[j] = s[j], s[i]
		j = i
	}
}

func heapPop[H sliceHeap[T], T any](h *H) T {
	s := *h
	n := len(s) - 1
	s[0], s[n] = s[n], s[0]
	heapDown(s, 0, n)
	x := s[n]
	var zero T
	s[n] = zero
	*h = s[:n]
	return x
}

func heapInit[H sliceHeap[T], T any](s H) {
	for i := len(s)/2 - 1; i >= 0; i-- {
		heapDown(s, i, len(s))
	}
}

func heapDown[H sliceHeap[T], T any](s H, i, n int) {
	for {
		j := 2*i + 1
		if j >= n || j < 0 {
			return
		}
		if j2 := j + 1; j2 < n && s.Less(j2, j) {
			j = j2
		}
		if !s.Less(j, i) {
			return
		}
		s[i], s[j] = s[j], s[i]
		i = j
	}
}
