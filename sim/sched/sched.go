// Package sched is the simulator's event queue: a 4-ary min-heap of compact
// device events ordered by virtual time. One goroutine owns it; there is no
// goroutine per device and no allocation per event once the heap has grown.
package sched

import "unsafe"

// Event is one due thing: at virtual time At (ms since the start of the
// run), Kind happens to Device, with a kind-specific Arg.
type Event struct {
	At     int64
	Device uint32
	Arg    uint32
	Kind   uint8
}

// Queue is a 4-ary min-heap of events by At; events at the same At come
// out in the order they were pushed (Seq breaks ties), so a run is
// reproducible given the same pushes.
type Queue struct {
	items []item
	seq   uint64
}

type item struct {
	Event
	seq uint64
}

// NewQueue returns a queue with room for n events.
func NewQueue(n int) *Queue { return &Queue{items: make([]item, 0, n)} }

// Bytes is the memory the queue holds (its capacity).
func (q *Queue) Bytes() int64 { return int64(cap(q.items)) * int64(unsafe.Sizeof(item{})) }

// Len is the number of queued events.
func (q *Queue) Len() int { return len(q.items) }

func less(a, b *item) bool {
	if a.At != b.At {
		return a.At < b.At
	}
	return a.seq < b.seq
}

// Push queues an event.
func (q *Queue) Push(e Event) {
	q.seq++
	q.items = append(q.items, item{Event: e, seq: q.seq})
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !less(&q.items[i], &q.items[p]) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

// Peek returns the earliest event without removing it; ok is false when
// the queue is empty.
func (q *Queue) Peek() (e Event, ok bool) {
	if len(q.items) == 0 {
		return Event{}, false
	}
	return q.items[0].Event, true
}

// Pop removes and returns the earliest event; ok is false when the queue
// is empty.
func (q *Queue) Pop() (e Event, ok bool) {
	n := len(q.items)
	if n == 0 {
		return Event{}, false
	}
	e = q.items[0].Event
	q.items[0] = q.items[n-1]
	q.items = q.items[:n-1]
	n--
	i := 0
	for {
		min := i
		c := 4*i + 1
		for k := c; k < c+4 && k < n; k++ {
			if less(&q.items[k], &q.items[min]) {
				min = k
			}
		}
		if min == i {
			break
		}
		q.items[i], q.items[min] = q.items[min], q.items[i]
		i = min
	}
	return e, true
}

// Due counts the queued events at or before at, walking only the part of
// the heap that holds them (a parent is never later than its children):
// its cost is the number of due events, not the size of the queue.
func (q *Queue) Due(at int64) int {
	if len(q.items) == 0 || q.items[0].At > at {
		return 0
	}
	n := 0
	stack := []int{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n++
		for k := 4*i + 1; k < 4*i+5 && k < len(q.items); k++ {
			if q.items[k].At <= at {
				stack = append(stack, k)
			}
		}
	}
	return n
}
