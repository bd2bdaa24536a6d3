package pcap

import (
	"cmp"
	"slices"
	"strconv"
	"time"
)

// mark maps a stream offset to the packet that carried the byte there.
type mark struct {
	off   int64
	frame int
	t     time.Time
}

// lookupMark returns the frame and time of the byte at off: those of the
// last mark at or before it.
func lookupMark(marks []mark, off int64) (int, time.Time) {
	i, _ := slices.BinarySearchFunc(marks, off, func(m mark, off int64) int { return cmp.Compare(m.off, off) })
	if i < len(marks) && marks[i].off == off {
		return marks[i].frame, marks[i].t
	}
	if i == 0 {
		if len(marks) > 0 {
			return marks[0].frame, marks[0].t
		}
		return 0, time.Time{}
	}
	return marks[i-1].frame, marks[i-1].t
}

func frameRef(frame int) string {
	if frame <= 0 {
		return ""
	}
	return "frame " + strconv.Itoa(frame)
}

func sortUint32(s []uint32) { slices.Sort(s) }

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
