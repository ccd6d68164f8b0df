package store

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"sync"
)

// row is an event made ready to insert by the caller of WriteEvents, so
// that the one writer every /stats post waits for does not do it: its
// retry key (0 for none) and its values as the insert binds them,
// metadata encoded.
type row struct {
	e    *Event
	key  uint64
	vals []driver.NamedValue // eventValues of them
}

// eventValues is the number of columns an event's insert binds.
const eventValues = 12

// rowBuf holds one call's rows and their values.
type rowBuf struct {
	rows []row
	vals []driver.NamedValue
}

// rowBufPool reuses rowBufs: an event's values are 480 bytes.
type rowBufPool struct{ p sync.Pool }

// prepare makes events ready for the writer; keys come from seen.
func (p *rowBufPool) prepare(events []Event, seen *seen) (*rowBuf, error) {
	b, _ := p.p.Get().(*rowBuf)
	if b == nil {
		b = &rowBuf{}
	}
	for i := range events {
		e := &events[i]
		meta := ""
		if len(e.Metadata) > 0 {
			m, err := json.Marshal(e.Metadata)
			if err != nil {
				p.release(b)
				return nil, fmt.Errorf("store: event metadata: %w", err)
			}
			meta = string(m)
		}
		b.vals = appendValues(b.vals, e.AppID, e.DeviceID, e.Action, e.VersionName, e.OldVersionName,
			e.Platform, e.IsProd, e.IsEmulator, e.Timestamp, ms(e.ReceivedAt), meta, e.VersionBuild)
		b.rows = append(b.rows, row{e: e, key: seen.key(e, meta)})
	}
	// The values are sliced once all are appended: appending may have
	// moved them.
	for i := range b.rows {
		b.rows[i].vals = b.vals[i*eventValues : (i+1)*eventValues : (i+1)*eventValues]
	}
	return b, nil
}

// release returns b once the writer is done with it; its values are
// cleared so that a pooled buffer holds no event's strings.
func (p *rowBufPool) release(b *rowBuf) {
	clear(b.rows)
	clear(b.vals)
	b.rows, b.vals = b.rows[:0], b.vals[:0]
	p.p.Put(b)
}
