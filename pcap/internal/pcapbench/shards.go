package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/reassembly"
)

// floorShards is the "asm" floor spread over goroutines, the shape a sharded
// capture reader would have: this goroutine reads the records straight into
// shared arenas (no copy after read(2)'s, as the product's read-ahead does)
// and decodes Ethernet and IPv4, and routes each TCP segment by a symmetric
// hash of its flows (a connection stays on one worker) to one of n workers,
// in batches of references into the arenas; each worker decodes the TCP
// header again and feeds its own assembler with streams that only count
// bytes. An arena is reused once every worker is done with its packets.
// n = 1 is a two-stage pipeline. It measures what sharding can give on a
// machine before any HTTP is parsed. Classic little-endian microsecond pcap
// with Ethernet only (what capgen writes).
func floorShards(name string, n int) error {
	if n < 1 {
		return fmt.Errorf("-shards: %d workers", n)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	var fh [24]byte
	if _, err := io.ReadFull(br, fh[:]); err != nil || binary.LittleEndian.Uint32(fh[:]) != 0xa1b2c3d4 {
		return fmt.Errorf("%s: not a little-endian microsecond pcap", name)
	}
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		decoded []gopacket.LayerType
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4)
	parser.IgnoreUnsupported = true

	arenas := make(chan *shardArena, shardArenas)
	for range shardArenas {
		arenas <- &shardArena{buf: make([]byte, shardArenaBytes), free: arenas}
	}
	workers := make([]*shardWorker, n)
	done := make(chan int, n)
	for i := range workers {
		w := &shardWorker{full: make(chan []shardPacket, shardArenas*2)}
		workers[i] = w
		go w.run(done)
	}
	cur := <-arenas
	cur.pending.Store(1)
	used := 0
	packets := 0
	var hdr [16]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("%s: record %d: %w", name, packets+1, err)
		}
		capLen := int(binary.LittleEndian.Uint32(hdr[8:]))
		if capLen > 1<<20 {
			return fmt.Errorf("%s: record %d: %d bytes", name, packets+1, capLen)
		}
		if used+capLen > len(cur.buf) {
			// Hand this arena's batches out; it comes back when the
			// workers are done with it.
			for _, w := range workers {
				w.send(cur)
			}
			cur.release() // this goroutine's own hold
			cur = <-arenas
			cur.pending.Store(1)
			used = 0
		}
		data := cur.buf[used : used+capLen]
		if capLen > len(cur.buf) {
			data = make([]byte, capLen)
		}
		if _, err := io.ReadFull(br, data); err != nil {
			return fmt.Errorf("%s: record %d: %w", name, packets+1, err)
		}
		if capLen <= len(cur.buf) {
			used += capLen
		}
		packets++
		ts := time.Unix(int64(binary.LittleEndian.Uint32(hdr[0:])), int64(binary.LittleEndian.Uint32(hdr[4:]))*1000)
		if err := parser.DecodeLayers(data, &decoded); len(decoded) < 2 || ip4.Protocol != layers.IPProtocolTCP || len(ip4.Payload) < 20 {
			_ = err
			continue
		}
		seg := ip4.Payload
		// Ports at the start of the TCP header; the XOR of two symmetric
		// hashes is symmetric.
		tcpFlow := gopacket.NewFlow(layers.EndpointTCPPort, seg[0:2], seg[2:4])
		netFlow := ip4.NetworkFlow()
		w := workers[(netFlow.FastHash()^tcpFlow.FastHash())%uint64(n)]
		cur.pending.Add(1)
		w.pkts = append(w.pkts, shardPacket{arena: cur, seg: seg, netFlow: netFlow, ts: ts})
	}
	for _, w := range workers {
		w.send(cur)
		close(w.full)
	}
	cur.release()
	total := 0
	for range workers {
		total += <-done
	}
	fmt.Printf("packets %d reassembled bytes %d workers %d\n", packets, total, n)
	return nil
}

const (
	shardArenaBytes = 256 << 10
	shardArenas     = 4
)

// shardArena holds packet records; pending counts the packets not yet
// reassembled, plus one while the reading goroutine fills it.
type shardArena struct {
	buf     []byte
	pending atomic.Int64
	free    chan *shardArena
}

func (a *shardArena) release() {
	if a.pending.Add(-1) == 0 {
		a.free <- a
	}
}

type shardPacket struct {
	arena   *shardArena
	seg     []byte
	netFlow gopacket.Flow
	ts      time.Time
}

type shardWorker struct {
	full chan []shardPacket
	pkts []shardPacket
}

// send hands the worker its packets in arena a.
func (w *shardWorker) send(a *shardArena) {
	if len(w.pkts) == 0 {
		return
	}
	w.full <- w.pkts
	w.pkts = nil
}

func (w *shardWorker) run(done chan<- int) {
	counter := &byteCounter{}
	asm := reassembly.NewAssembler(reassembly.NewStreamPool(counter))
	var tcp layers.TCP
	for b := range w.full {
		for _, p := range b {
			if tcp.DecodeFromBytes(p.seg, gopacket.NilDecodeFeedback) == nil {
				asm.AssembleWithContext(p.netFlow, &tcp, captureInfo(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(p.seg)}))
			}
			p.arena.release()
		}
	}
	asm.FlushAll()
	done <- counter.bytes
}
