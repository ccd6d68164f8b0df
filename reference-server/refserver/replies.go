package refserver

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/reference-server/release"
)

// The device endpoints answer with the backend's shapes, field for field:
//
//   - a refusal of /updates: {"error","message", details, "kind"}
//     (utils/update.ts:152-157, hono.ts:258-270);
//   - a refusal of /stats or /channel_self: {"error","message", details}
//     (hono.ts:258-270), no kind;
//   - a request refused before deciding: {"error","message","moreInfo"}
//     (on_error.ts:127-202), no kind;
//   - an unknown app: {"error":"on_premise_app","message":...}, 429.

// appendJSONString appends s as a JSON string as JavaScript's
// JSON.stringify writes it (no HTML escaping).
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

func appendField(b []byte, name, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendJSONString(b, v)
}

// refusalJSON encodes an /updates refusal.
func refusalJSON(r release.Refusal, withKind bool) []byte {
	b := make([]byte, 0, 128)
	b = append(b, `{"error":`...)
	b = appendJSONString(b, r.Code)
	b = appendField(b, "message", r.Message)
	if r.Major {
		b = append(b, `,"major":true`...)
	}
	if r.Version != "" {
		b = appendField(b, "version", r.Version)
	}
	if r.Old != "" {
		b = appendField(b, "old", r.Old)
	}
	if r.DeviceKeyID != "" || r.BundleKeyID != "" {
		b = appendField(b, "deviceKeyId", r.DeviceKeyID)
		b = appendField(b, "bundleKeyId", r.BundleKeyID)
	}
	if withKind {
		b = appendField(b, "kind", string(r.Kind()))
	}
	return append(b, '}', '\n')
}

// plainError encodes {"error","message", details...} where details are
// name/value pairs (the backend's simpleError200 with moreInfo).
func plainError(code, msg string, details ...string) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"error":`...)
	b = appendJSONString(b, code)
	b = appendField(b, "message", msg)
	for i := 0; i+1 < len(details); i += 2 {
		b = appendField(b, details[i], details[i+1])
	}
	return append(b, '}', '\n')
}

// rejectionJSON encodes a request refused before deciding.
func rejectionJSON(r *rejection) []byte {
	mi := r.moreInfo
	if mi == nil {
		mi = struct{}{}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(struct {
		Error    string `json:"error"`
		Message  string `json:"message"`
		MoreInfo any    `json:"moreInfo"`
	}{r.code, r.message, mi})
	return buf.Bytes()
}

// writeReply writes an encoded JSON reply. ctype is the shared, never
// modified value of the Content-Type header: assigning it allocates
// nothing, where Header.Set allocates a slice per call.
func writeReply(w http.ResponseWriter, ctype []string, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = ctype
	if len(body) >= autoLengthBody {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// autoLengthBody is a size under which net/http itself sets the
// Content-Length of a reply written in one Write before the handler
// returns (http.ResponseWriter's documented "under a few KB"; its buffer is
// 2 KiB).
const autoLengthBody = 1 << 10

// constReplies are the replies that never vary, encoded once; the most
// frequent is a fleet at rest checking for updates.
type constReplies struct {
	onPremise, enumerationLimited, notFound, statusOK, emptyBatch []byte
	// refusals holds the frequent /updates refusals.
	refusals map[release.Refusal][]byte
}

func newConstReplies() *constReplies {
	c := &constReplies{
		onPremise:          plainError(protocol.CodeOnPremiseApp, "On-premise app detected"),
		enumerationLimited: []byte(`{"error":"on_premise_app"}` + "\n"),
		notFound:           plainError(protocol.CodeNotFound, "Not found"),
		statusOK:           []byte(`{"status":"ok"}` + "\n"),
		emptyBatch:         []byte(`{"status":"ok","results":[]}` + "\n"),
		refusals:           map[release.Refusal][]byte{},
	}
	for _, r := range []release.Refusal{
		{Code: protocol.CodeNoNewVersion, Message: "No new version available"},
		{Code: protocol.CodeNoChannel, Message: "no default channel or override"},
		{Code: protocol.CodeNoBundle, Message: "Cannot get bundle"},
		{Code: protocol.CodeAlreadyOnBuiltin, Message: "Already on builtin", Version: protocol.Builtin},
	} {
		c.refusals[r] = refusalJSON(r, true)
	}
	return c
}

// refusal returns the encoded reply of an /updates refusal, from the
// constant ones when it is one of them.
func (c *constReplies) refusal(r release.Refusal) []byte {
	if raw, ok := c.refusals[r]; ok {
		return raw
	}
	return refusalJSON(r, true)
}
