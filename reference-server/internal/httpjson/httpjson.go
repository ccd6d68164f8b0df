// Package httpjson writes JSON replies, for the device endpoints and the
// admin API alike.
package httpjson

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// Write encodes v as the reply with a status. A value that cannot be
// encoded (a bug) gives a 500 with fallback, which must encode.
func Write(w http.ResponseWriter, status int, v any, fallback any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(fallback)
	}
	Raw(w, status, append(body, '\n'))
}

// Raw writes an encoded JSON reply.
func Raw(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
