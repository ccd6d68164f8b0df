package client

import (
	"errors"
	"strconv"
	"unicode/utf8"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/otasim/otasim/protocol"
)

// statsWire decodes a /stats reply: the reply the caller asked for, and
// the error code a 200 may carry instead.
type statsWire struct {
	*protocol.StatsReply
	Error string `json:"error"`
}

// decode decodes a /stats reply as decodeReply decodes any other, except
// that the results' moreInfo objects are checked for their shape and not
// kept: nothing on the device side reads them (the plugin reads a /stats
// reply's body only for a 429's rate-limit hints, A/CapgoUpdater.java:3095).
//
// Most of a fleet's requests are /stats posts, and their replies are
// decoded here first without reflection (statsFast); a reply that path
// does not take as it is (other member names, escapes, nulls, numbers
// that are not plain integers, anything not valid) is decoded again by
// reflection, from scratch. FuzzStatsReplyFastPath checks that the two
// agree.
func (w *statsWire) decode(b []byte) error {
	if w.StatsReply == nil {
		w.StatsReply = &protocol.StatsReply{}
	}
	results := w.Results[:0]
	if err := jsonv2.Unmarshal(b, (*statsFast)(w), replyOptions); err == nil {
		return nil
	}
	reply := w.StatsReply
	*reply, w.Error = protocol.StatsReply{Results: results}, ""
	err := jsonv2.Unmarshal(b, w, replyOptions)
	if w.StatsReply == nil {
		// A JSON null zeroes w, taking the caller's reply away: an empty
		// reply then, which is not the protocol's shape.
		w.StatsReply = reply
	}
	for i := range w.Results {
		w.Results[i].MoreInfo = nil
	}
	return err
}

// statsFast is statsWire decoded by hand: the members the reference
// server writes (refserver's appendBatchReply).
type statsFast statsWire

// errUncommon: statsFast leaves this reply to reflection.
var errUncommon = errors.New("client: stats reply left to the general decoder")

func (w *statsFast) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	return readObject(d, func(name []byte) error {
		switch string(name) {
		case "status":
			return readString(d, &w.Status)
		case "error":
			return readString(d, &w.Error)
		case "results":
			return w.readResults(d)
		}
		return errUncommon
	})
}

func (w *statsFast) readResults(d *jsontext.Decoder) error {
	if err := readDelim(d, '['); err != nil {
		return err
	}
	w.Results = w.Results[:0]
	for d.PeekKind() == '{' {
		w.Results = append(w.Results, protocol.StatsResult{})
		if err := readResult(d, &w.Results[len(w.Results)-1]); err != nil {
			return err
		}
	}
	return readDelim(d, ']')
}

func readResult(d *jsontext.Decoder, r *protocol.StatsResult) error {
	return readObject(d, func(name []byte) error {
		switch string(name) {
		case "status":
			return readString(d, &r.Status)
		case "error":
			return readString(d, &r.Error)
		case "message":
			return readString(d, &r.Message)
		case "index":
			return readInt(d, &r.Index)
		case "moreInfo":
			return skipStringMap(d)
		}
		return errUncommon
	})
}

// readObject reads an object, calling member with each member's name
// (without escapes) to read its value.
func readObject(d *jsontext.Decoder, member func(name []byte) error) error {
	if err := readDelim(d, '{'); err != nil {
		return err
	}
	for d.PeekKind() == '"' {
		name, err := plainString(d)
		if err != nil {
			return err
		}
		if err := member(name); err != nil {
			return err
		}
	}
	return readDelim(d, '}')
}

// readDelim reads one of {}[].
func readDelim(d *jsontext.Decoder, k jsontext.Kind) error {
	if d.PeekKind() != k {
		return errUncommon
	}
	if _, err := d.ReadToken(); err != nil {
		return errUncommon
	}
	return nil
}

// readString reads a string without escapes; "ok", the common value, is
// not allocated.
func readString(d *jsontext.Decoder, s *string) error {
	v, err := plainString(d)
	if err != nil {
		return err
	}
	if string(v) == "ok" {
		*s = "ok"
	} else {
		*s = string(v)
	}
	return nil
}

// plainString reads a string value without escapes or invalid UTF-8
// (which the general decoder replaces) and returns its contents, which
// alias the decoder's buffer.
func plainString(d *jsontext.Decoder) ([]byte, error) {
	if d.PeekKind() != '"' {
		return nil, errUncommon
	}
	v, err := d.ReadValue()
	if err != nil {
		return nil, errUncommon
	}
	ascii := true
	for _, c := range v {
		if c == '\\' {
			return nil, errUncommon
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	if !ascii && !utf8.Valid(v) {
		return nil, errUncommon
	}
	return v[1 : len(v)-1], nil
}

// readInt reads an integer of at most 18 digits, with no fraction or
// exponent.
func readInt(d *jsontext.Decoder, n *int) error {
	if d.PeekKind() != '0' {
		return errUncommon
	}
	v, err := d.ReadValue()
	if err != nil || len(v) > 18 {
		return errUncommon
	}
	i, err := strconv.Atoi(string(v))
	if err != nil {
		return errUncommon
	}
	*n = i
	return nil
}

// skipStringMap reads an object whose values are all strings.
func skipStringMap(d *jsontext.Decoder) error {
	return readObject(d, func([]byte) error {
		_, err := plainString(d)
		return err
	})
}
