package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/google/gopacket/reassembly"
)

// floorShards is the "asm" floor spread over goroutines, the shape a sharded
// capture reader would have: this goroutine reads the records and decodes
// Ethernet and IPv4, and routes each TCP segment by a symmetric hash of its
// flows (a connection stays on one worker) to one of n workers, in batches
// (a 64 KiB copy of the packets' bytes, at most four batches per worker in
// flight); each worker decodes the TCP header again and feeds its own
// assembler with streams that only count bytes. n = 1 is a two-stage
// pipeline. It measures what sharding can give on a machine before any
// HTTP is parsed.
func floorShards(name string, n int) error {
	if n < 1 {
		return fmt.Errorf("-shards: %d workers", n)
	}
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	var (
		eth     layers.Ethernet
		ip4     layers.IPv4
		decoded []gopacket.LayerType
	)
	parser := gopacket.NewDecodingLayerParser(layers.LayerTypeEthernet, &eth, &ip4)
	parser.IgnoreUnsupported = true

	workers := make([]*shardWorker, n)
	done := make(chan int, n)
	for i := range workers {
		w := &shardWorker{full: make(chan *shardBatch, shardBatches), free: make(chan *shardBatch, shardBatches)}
		for range shardBatches {
			w.free <- &shardBatch{arena: make([]byte, 0, shardArena)}
		}
		w.cur = <-w.free
		workers[i] = w
		go w.run(done)
	}
	packets := 0
	for {
		data, ci, err := r.ZeroCopyReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: packet %d: %w", name, packets+1, err)
		}
		packets++
		if err := parser.DecodeLayers(data, &decoded); len(decoded) < 2 || ip4.Protocol != layers.IPProtocolTCP || len(ip4.Payload) < 20 {
			_ = err
			continue
		}
		seg := ip4.Payload
		// Ports at the start of the TCP header; XOR of two symmetric
		// hashes is symmetric.
		tcpFlow := gopacket.NewFlow(layers.EndpointTCPPort, seg[0:2], seg[2:4])
		netFlow := ip4.NetworkFlow()
		w := workers[(netFlow.FastHash()^tcpFlow.FastHash())%uint64(n)]
		w.add(netFlow, seg, ci)
	}
	for _, w := range workers {
		w.flush()
		close(w.full)
	}
	total := 0
	for range workers {
		total += <-done
	}
	fmt.Printf("packets %d reassembled bytes %d workers %d\n", packets, total, n)
	return nil
}

const (
	shardArena   = 64 << 10
	shardBatches = 4
)

type shardPacket struct {
	netFlow  gopacket.Flow
	off, end int
	ci       gopacket.CaptureInfo
}

type shardBatch struct {
	arena []byte
	pkts  []shardPacket
}

type shardWorker struct {
	full, free chan *shardBatch
	cur        *shardBatch
}

func (w *shardWorker) add(netFlow gopacket.Flow, seg []byte, ci gopacket.CaptureInfo) {
	if len(w.cur.arena)+len(seg) > cap(w.cur.arena) && len(w.cur.pkts) > 0 {
		w.flush()
	}
	off := len(w.cur.arena)
	w.cur.arena = append(w.cur.arena, seg...)
	w.cur.pkts = append(w.cur.pkts, shardPacket{netFlow: netFlow, off: off, end: len(w.cur.arena), ci: ci})
}

func (w *shardWorker) flush() {
	if len(w.cur.pkts) == 0 {
		return
	}
	w.full <- w.cur
	w.cur = <-w.free
	w.cur.arena, w.cur.pkts = w.cur.arena[:0], w.cur.pkts[:0]
}

func (w *shardWorker) run(done chan<- int) {
	counter := &byteCounter{}
	asm := reassembly.NewAssembler(reassembly.NewStreamPool(counter))
	var tcp layers.TCP
	for b := range w.full {
		for _, p := range b.pkts {
			if tcp.DecodeFromBytes(b.arena[p.off:p.end], gopacket.NilDecodeFeedback) != nil {
				continue
			}
			asm.AssembleWithContext(p.netFlow, &tcp, captureInfo(p.ci))
		}
		w.free <- b
	}
	asm.FlushAll()
	done <- counter.bytes
}
