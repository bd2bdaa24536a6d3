package etl

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/traceaudit/traceaudit/internal/etlgen"
)

// The real samples hold no multi-fragment packet, VMSwitch or metadata
// event, raw IP interface, circular or lossy file, or 32-bit header; these
// tests build such files with internal/etlgen, written apart from this
// reader from the same layouts.

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func build(t *testing.T, opts etlgen.Options, evs []etlgen.Event) *Reader {
	t.Helper()
	data, err := etlgen.Build(opts, evs)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func all(t *testing.T, r *Reader) []*Frame {
	t.Helper()
	var out []*Frame
	for {
		fr, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		c := *fr
		c.Data = slices.Clone(fr.Data)
		out = append(out, &c)
	}
}

func notes(r *Reader) string {
	var b strings.Builder
	for _, n := range r.Notes() {
		fmt.Fprintf(&b, "[%s] %s\n", n.Kind, n.Message)
	}
	return b.String()
}

func eth(payload string) []byte {
	b := make([]byte, 14, 14+len(payload))
	b[12], b[13] = 0x08, 0x00
	return append(b, payload...)
}

// TestFragmentsAcrossProcessors: a packet logged in fragments (Windows 7)
// is joined; packets from two processors' buffers, written last-filled
// first as a wrapped circular file, come out in time order.
func TestFragmentsAcrossProcessors(t *testing.T) {
	nd := func(ms int, proc uint16, kw uint64, frag string) etlgen.Event {
		return etlgen.Event{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwEthernet | kw, PID: 900, TID: 9, Time: at(ms), Proc: proc, User: etlgen.NDISFragment(3, 5, []byte(frag))}
	}
	evs := []etlgen.Event{
		nd(10, 1, etlgen.KwWholePacket|etlgen.KwSend, "B-second"),
		nd(5, 0, etlgen.KwPacketStart, "A-"),
		nd(6, 0, 0, "first-"),
		nd(7, 0, etlgen.KwPacketEnd, "packet"),
		nd(20, 0, etlgen.KwWholePacket, "C-third"),
		{Provider: etlgen.Other, ID: 36, Time: at(21), Proc: 1, User: []byte("noise")},
		nd(15, 1, etlgen.KwWholePacket, "D-between"),
	}
	r := build(t, etlgen.Options{Circular: true, ReverseBuffers: true, BufferSize: 4096}, evs)
	var got []string
	for _, fr := range all(t, r) {
		got = append(got, fmt.Sprintf("%d %s %s send=%v pid=%d if=%d/%d", fr.Number, fr.Time.Format("05.000"), fr.Data, fr.Send, fr.PID, fr.Miniport, fr.Iface))
	}
	want := []string{
		"1 00.007 A-first-packet send=false pid=900 if=3/5",
		"2 00.010 B-second send=true pid=900 if=3/5",
		"3 00.015 D-between send=false pid=900 if=3/5",
		"4 00.020 C-third send=false pid=900 if=3/5",
	}
	if !slices.Equal(got, want) {
		t.Errorf("frames:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := notes(r); !strings.Contains(n, "[truncated] circular trace") {
		t.Errorf("notes lack the circular trace: %q", n)
	}
	if pid, ok := r.Sender(2); !ok || pid != 900 {
		t.Errorf("Sender(2) = %d, %v", pid, ok)
	}
	if _, ok := r.Sender(1); ok {
		t.Errorf("Sender(1): a received frame has no sender")
	}
}

// TestWirelessAndVMSwitch: an 802.11 frame after a metadata event carries
// the receive context and loses its Protected bit (ndiscap logs it
// decrypted); a VMSwitch fragment is read past its port names.
func TestWirelessAndVMSwitch(t *testing.T) {
	wifi := []byte{0x88, 0x42, 0, 0, 1, 2, 3, 4, 5, 6}
	evs := []etlgen.Event{
		{Provider: etlgen.NDIS, ID: 1002, Keyword: etlgen.KwNative80211, Time: at(1), User: etlgen.NDISMetadata(12, 13, 7, 5180, -52, 130)},
		{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwNative80211 | etlgen.KwWholePacket | etlgen.KwReceive, Time: at(2), User: etlgen.NDISFragment(12, 13, wifi)},
		{Provider: etlgen.NDIS, ID: 1003, Keyword: etlgen.KwVMSwitch | etlgen.KwWholePacket, Time: at(3), User: etlgen.VMSwitchFragment(20, 21, 77, [3]string{"port", "nic", "Synthetic"}, 2, eth("vm"))},
	}
	r := build(t, etlgen.Options{}, evs)
	frs := all(t, r)
	if len(frs) != 2 {
		t.Fatalf("%d frames, want 2; notes %s", len(frs), notes(r))
	}
	w := frs[0]
	if w.LinkType != Link80211 || w.Data[1] != 0x02 || w.WLAN == nil || *w.WLAN != (WLANMeta{PhyID: 7, ChannelMHz: 5180, MPDUs: 1, RSSI: -52, DataRate: 130}) {
		t.Errorf("802.11 frame: link %d fc %#x meta %+v", w.LinkType, w.Data[1], w.WLAN)
	}
	v := frs[1]
	if v.Source != SourceVMSwitch || string(v.Data[14:]) != "vm" || v.Iface != 21 || v.WLAN != nil {
		t.Errorf("VMSwitch frame: %+v", v)
	}
}

// TestRawIPTruncated: a WWAN interface logs raw IP; a packet cut by
// packettruncatebytes keeps its wire length from the IP header.
func TestRawIPTruncated(t *testing.T) {
	ip := make([]byte, 40)
	ip[0] = 0x45
	ip[2], ip[3] = 0x05, 0xdc // total length 1500
	evs := []etlgen.Event{{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWirelessWAN | etlgen.KwWholePacket | etlgen.KwTruncated, Time: at(1), User: etlgen.NDISFragment(1, 1, ip)}}
	r := build(t, etlgen.Options{}, evs)
	frs := all(t, r)
	if len(frs) != 1 || frs[0].LinkType != LinkRaw || len(frs[0].Data) != 40 || frs[0].OrigLen != 1500 {
		t.Fatalf("frames: %+v", frs)
	}
	if n := notes(r); !strings.Contains(n, "[truncated] 1 packets were cut short") {
		t.Errorf("notes: %q", n)
	}
}

// TestThirtyTwoBitAndExtended: a 32-bit logger (SYSTEM32 logfile header,
// EVENT_HEADER32 records) with extended data items before the user data.
func TestThirtyTwoBitAndExtended(t *testing.T) {
	evs := []etlgen.Event{{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWholePacket, PID: 1, TID: 2, Time: at(1), Extended: true, User: etlgen.NDISFragment(1, 1, eth("x86"))}}
	r := build(t, etlgen.Options{Ptr32: true}, evs)
	if h := r.Header(); h.PointerSize != 4 || h.Start != t0.Add(time.Millisecond-time.Second) {
		t.Errorf("header: pointer %d start %s", h.PointerSize, h.Start)
	}
	frs := all(t, r)
	if len(frs) != 1 || string(frs[0].Data[14:]) != "x86" || frs[0].Time != at(1) {
		t.Fatalf("frames: %+v notes %s", frs, notes(r))
	}
}

// TestLossNotes: what the header and the buffers say was lost becomes
// notes; a packet whose end was lost is dropped, not glued to the next.
func TestLossNotes(t *testing.T) {
	nd := func(ms int, kw uint64, frag string) etlgen.Event {
		return etlgen.Event{Provider: etlgen.NDIS, ID: 1001, Keyword: kw, Time: at(ms), User: etlgen.NDISFragment(1, 1, []byte(frag))}
	}
	evs := []etlgen.Event{
		nd(1, etlgen.KwPacketStart, "orphan-start"),
		nd(2, etlgen.KwWholePacket, "whole"),
		{Provider: etlgen.PktMon, ID: 160, Time: at(3), User: etlgen.PktMonPacket(1, 4, 9, 0, []byte("http payload type"))},
		{Provider: etlgen.PktMon, ID: 160, Time: at(4), User: etlgen.PktMonPacket(2, 1, 9, 1514, eth("cut"))},
	}
	r := build(t, etlgen.Options{EventsLost: 3, BuffersLost: 1, LostFlag: true}, evs)
	frs := all(t, r)
	var got []string
	for _, fr := range frs {
		got = append(got, fmt.Sprintf("%s orig=%d src=%d", fr.Data[len(fr.Data)-3:], fr.OrigLen, fr.Source))
	}
	if want := []string{"ole orig=5 src=1", "cut orig=1514 src=3"}; !slices.Equal(got, want) {
		t.Errorf("frames %q, want %q", got, want)
	}
	want := `[truncated] the tracing session lost 3 events (file header)
[truncated] the tracing session lost 1 buffers (file header)
[truncated] 1 buffers are marked as having lost events
[truncated] 1 packets lost fragments and were dropped
[truncated] 1 packets were cut short by the capture (packettruncatebytes or --pkt-size)
[unsupported] 1 pktmon packets of payload type 4 (not a frame) were skipped
`
	if n := notes(r); n != want {
		t.Errorf("notes:\n%s\nwant:\n%s", n, want)
	}
}

// TestDamaged: a file cut inside a buffer, or with a lying size, yields
// what could be read and says where reading stopped; it never panics.
func TestDamaged(t *testing.T) {
	evs := []etlgen.Event{
		{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWholePacket, Time: at(1), User: etlgen.NDISFragment(1, 1, eth("one"))},
		{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWholePacket, Time: at(2), Proc: 1, User: etlgen.NDISFragment(1, 1, eth("two"))},
	}
	data, err := etlgen.Build(etlgen.Options{BufferSize: 1024}, evs)
	if err != nil {
		t.Fatal(err)
	}
	cut := data[:len(data)-1024+200] // the second data buffer keeps its header and first record
	r, err := NewReader(bytes.NewReader(cut), int64(len(cut)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if frs := all(t, r); len(frs) != 2 {
		t.Errorf("%d frames from the cut file, want 2", len(frs))
	}
	if n := notes(r); !strings.Contains(n, "[damaged] reading stopped: file ends inside the buffer at byte 2048") {
		t.Errorf("notes: %q", n)
	}

	bad := slices.Clone(data)
	bad[2048+0x48+0x50+8] = 0xff // the second record's FragmentSize: far past the record
	bad[2048+0x48+0x50+9] = 0xff
	r, err = NewReader(bytes.NewReader(bad), int64(len(bad)), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if frs := all(t, r); len(frs) != 1 {
		t.Errorf("%d frames, want 1", len(frs))
	}
	if n := notes(r); !strings.Contains(n, "[damaged] 1 packet events were malformed") {
		t.Errorf("notes: %q", n)
	}

	for _, n := range []int{0, 10, 0x48, 0x58, 0x100} {
		if _, err := NewReader(bytes.NewReader(data[:n]), int64(n), Limits{}); err == nil {
			t.Errorf("%d bytes: no error", n)
		}
	}
}

// TestLimits: the frame count limit stops indexing with a note.
func TestLimits(t *testing.T) {
	var evs []etlgen.Event
	for i := range 10 {
		evs = append(evs, etlgen.Event{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWholePacket, Time: at(i), User: etlgen.NDISFragment(1, 1, eth("x"))})
	}
	data, _ := etlgen.Build(etlgen.Options{}, evs)
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{MaxFrames: 4})
	if err != nil {
		t.Fatal(err)
	}
	if r.Frames() != 4 || !strings.Contains(notes(r), "[limit] more than 4 frames") {
		t.Errorf("frames %d notes %q", r.Frames(), notes(r))
	}
}

// TestClocks: a file's raw timestamps are QueryPerformanceCounter ticks,
// FILETIMEs (system time clock) or CPU cycles; all come out as UTC.
func TestClocks(t *testing.T) {
	for _, clock := range []uint32{1, 2, 3} {
		evs := []etlgen.Event{
			{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWholePacket, Time: at(1500), User: etlgen.NDISFragment(1, 1, eth("a"))},
			{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwWholePacket, Time: at(86_400_000 + 7), User: etlgen.NDISFragment(1, 1, eth("b"))},
		}
		r := build(t, etlgen.Options{Clock: clock, Start: t0}, evs)
		frs := all(t, r)
		if r.Header().Clock != clock || len(frs) != 2 || !frs[0].Time.Equal(at(1500)) || !frs[1].Time.Equal(at(86_400_007)) {
			var times []time.Time
			for _, f := range frs {
				times = append(times, f.Time)
			}
			t.Errorf("clock %d: header clock %d, times %v", clock, r.Header().Clock, times)
		}
	}
}
