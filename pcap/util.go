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
	// ack is the offset of the other direction's stream that the packet
	// acknowledged, -1 when unknown (HTTP/1 only).
	ack int64
}

// lookupMark returns the frame and time of the byte at off: those of the
// last mark at or before it.
func lookupMark(marks []mark, off int64) (int, time.Time) {
	m := markAt(marks, off)
	return m.frame, m.t
}

// markAt returns the last mark at or before off (the first mark when off
// precedes all, a zero mark with ack -1 when there is none).
func markAt(marks []mark, off int64) mark {
	i, _ := slices.BinarySearchFunc(marks, off, func(m mark, off int64) int { return cmp.Compare(m.off, off) })
	if i < len(marks) && marks[i].off == off {
		return marks[i]
	}
	if i == 0 {
		if len(marks) > 0 {
			return marks[0]
		}
		return mark{ack: -1}
	}
	return marks[i-1]
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
