package etl

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/traceaudit/traceaudit/internal/etlgen"
)

// FuzzReader feeds arbitrary bytes to the reader: it must not panic, hang
// or allocate past its limits, whatever the buffer and record sizes say.
// Seeds: the small real samples and synthetic files with every event kind.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.etl")
	for _, file := range append(files, "testdata/netsh-wifi-one-packet.etl.gz") {
		data := load(f, file)
		if len(data) > 64<<10 {
			data = data[:64<<10]
		}
		f.Add(data)
	}
	evs := []etlgen.Event{
		{Provider: etlgen.NDIS, ID: 1002, Keyword: etlgen.KwNative80211, Time: at(1), User: etlgen.NDISMetadata(1, 1, 7, 2412, -40, 54)},
		{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwNative80211 | etlgen.KwPacketStart, Time: at(2), Extended: true, User: etlgen.NDISFragment(1, 1, []byte{0x88, 0x41, 0, 0})},
		{Provider: etlgen.NDIS, ID: 1001, Keyword: etlgen.KwNative80211 | etlgen.KwPacketEnd, Time: at(3), User: etlgen.NDISFragment(1, 1, []byte("tail"))},
		{Provider: etlgen.NDIS, ID: 1003, Keyword: etlgen.KwWholePacket, Time: at(4), Proc: 1, User: etlgen.VMSwitchFragment(1, 2, 3, [3]string{"a", "b", "c"}, 1, eth("vm"))},
		{Provider: etlgen.PktMon, ID: 160, Time: at(5), User: etlgen.PktMonPacket(1, 3, 2, 60, []byte{0x45, 0, 0, 60})},
	}
	for _, opts := range []etlgen.Options{{BufferSize: 1024}, {BufferSize: 1024, Ptr32: true, ReverseBuffers: true, Circular: true}} {
		data, err := etlgen.Build(opts, evs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), int64(len(data)), Limits{MaxFrames: 1000, MaxCacheBytes: 8 << 20})
		if err != nil {
			return
		}
		for range 2000 {
			fr, err := r.Next()
			if err != nil {
				break
			}
			if len(fr.Data) > 256<<10 {
				t.Fatalf("frame of %d bytes", len(fr.Data))
			}
		}
		_ = r.Notes()
	})
}

// FuzzXpress: the decompressor never writes past the size it is given.
func FuzzXpress(f *testing.F) {
	data := load(f, "testdata/pktmon-ethernet.etl")
	f.Add(data[0x400+bufferHeaderSize:0x1000], 4096)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0xff, 0xff, 0xff}, 1<<20)
	f.Fuzz(func(t *testing.T, src []byte, max int) {
		if max < 0 || max > 1<<20 {
			return
		}
		out, _ := decompressXpress(src, max)
		if len(out) > max {
			t.Fatalf("%d bytes out, max %d", len(out), max)
		}
	})
}
