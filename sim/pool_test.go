package sim

import (
	"context"
	"testing"
)

// A lane never blocks the engine: past the channel's room jobs wait in
// the backlog and reach the workers in the order sent, however sends and
// flushes interleave (the backlog's storage is compacted meanwhile).
func TestLaneFIFO(t *testing.T) {
	l := lane{ch: make(chan *job, 2)}
	next, got := 0, 0
	for round := range 50 {
		for range round % 7 {
			l.send(&job{dev: uint32(next)})
			next++
		}
		for range round % 5 {
			select {
			case j := <-l.ch:
				if j.dev != uint32(got) {
					t.Fatalf("round %d: got device %d, want %d (FIFO)", round, j.dev, got)
				}
				got++
			default:
			}
			l.flush()
		}
	}
	for got < next {
		l.flush()
		j := <-l.ch
		if j.dev != uint32(got) {
			t.Fatalf("got device %d, want %d (FIFO)", j.dev, got)
		}
		got++
	}
	if l.waiting() != 0 || l.head != 0 || len(l.q) != 0 {
		t.Fatalf("backlog left: %d waiting, head %d, len %d", l.waiting(), l.head, len(l.q))
	}
}

// The pool counts what is in flight, keeps downloads on their own lane
// and says it is saturated once max requests wait in the backlogs.
func TestPoolSaturates(t *testing.T) {
	p := newPool(1, 1, 3)
	for range 2 { // fills the API channel
		p.send(&job{kind: jobCheck})
	}
	p.send(&job{kind: jobDownload})
	p.send(&job{kind: jobDownload})
	if p.saturated() || p.api.waiting() != 0 || p.dl.waiting() != 0 {
		t.Fatalf("saturated %v with %d+%d waiting", p.saturated(), p.api.waiting(), p.dl.waiting())
	}
	p.send(&job{kind: jobStats})
	p.send(&job{kind: jobDownload})
	p.send(&job{kind: jobCheck})
	if !p.saturated() || p.inFlight != 7 || p.api.waiting() != 2 || p.dl.waiting() != 1 {
		t.Fatalf("saturated %v, in flight %d, waiting %d+%d", p.saturated(), p.inFlight, p.api.waiting(), p.dl.waiting())
	}
	<-p.api.ch
	p.flush()
	if p.saturated() || p.api.waiting() != 1 {
		t.Fatalf("after a worker took one: saturated %v, %d waiting", p.saturated(), p.api.waiting())
	}
}

// The workers hand back every job they take, and return once the pool is
// closed.
func TestPoolWorkers(t *testing.T) {
	p := newPool(3, 2, maxBacklog)
	done := p.start(context.Background(), func(_ context.Context, j *job) { j.local = true })
	for i := range 100 {
		kind := jobCheck
		if i%3 == 0 {
			kind = jobDownload
		}
		p.send(&job{kind: kind, dev: uint32(i)})
	}
	seen := map[uint32]bool{}
	for len(seen) < 100 {
		p.flush()
		j := <-p.done
		if !j.local || seen[j.dev] {
			t.Fatalf("job %d handed back twice or unworked", j.dev)
		}
		seen[j.dev] = true
	}
	p.close()
	<-done
}
