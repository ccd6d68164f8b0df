package client

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/otasim/otasim/protocol"
	"github.com/otasim/otasim/sim/results"
)

// Causes of failures finer than their outcome, as summaries count them.
const (
	CauseTimeout    = "timeout"
	CauseRefused    = "connection_refused"
	CauseReset      = "connection_reset"
	CauseClosed     = "connection_closed" // the reply ended early, or never began
	CauseDNS        = "dns"
	CauseTLS        = "tls"
	CauseNetwork    = "network"
	CauseCanceled   = "canceled" // the run stopped the request
	CauseInvalid    = "invalid_json"
	CauseShape      = "wrong_shape"
	CauseTooLarge   = "too_large"
	CauseChecksum   = "checksum"
	CauseDecrypt    = "decrypt"
	CauseBrotli     = "brotli"
	CauseIncomplete = "incomplete"
)

// HTTPCause names a failing status ("http_503").
func HTTPCause(status int) string { return "http_" + strconv.Itoa(status) }

// TransportOutcome classifies an error that ended a call before its
// reply was whole: a timeout, or a failed connection.
func TransportOutcome(err error) (results.Outcome, string) {
	var ne net.Error
	var dns *net.DNSError
	var tlsErr *tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return results.OutcomeTimeout, CauseTimeout
	case errors.Is(err, context.Canceled):
		return results.OutcomeNetworkError, CauseCanceled
	case errors.Is(err, syscall.ECONNREFUSED):
		return results.OutcomeNetworkError, CauseRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return results.OutcomeNetworkError, CauseReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return results.OutcomeNetworkError, CauseClosed
	case errors.As(err, &dns):
		return results.OutcomeNetworkError, CauseDNS
	case errors.As(err, &tlsErr), errors.As(err, &certErr):
		return results.OutcomeNetworkError, CauseTLS
	}
	return results.OutcomeNetworkError, CauseNetwork
}

// ReplyOutcome classifies a whole reply: a 2xx must be the endpoint's
// JSON of the right shape (decoded into out); any other status is an HTTP
// error. err is the decoder's, as for decodeOutcome.
func ReplyOutcome(status int, body []byte, out any) (o results.Outcome, cause string, err error) {
	if status < 200 || status > 299 {
		return results.OutcomeHTTPError, HTTPCause(status), nil
	}
	return decodeOutcome(body, out)
}

// decodeOutcome classifies a 2xx reply's body: the endpoint's JSON of the
// right shape is a success; anything else a protocol error. err is the
// decoder's, when the body is not JSON of out's type (the device sees an
// invalid reply then); a body that decodes to the wrong shape is a
// protocol error of the server without changing what the device reads.
func decodeOutcome(b []byte, out any) (o results.Outcome, cause string, err error) {
	if len(b) == 0 {
		return results.OutcomeProtocolError, CauseShape, nil
	}
	if err := decodeReply(b, out); err != nil {
		// JSON that is not of out's type is the wrong shape; anything
		// that is not JSON is invalid.
		var syn *jsontext.SyntacticError
		var sem *jsonv2.SemanticError
		if !errors.As(err, &syn) && errors.As(err, &sem) {
			return results.OutcomeProtocolError, CauseShape, err
		}
		return results.OutcomeProtocolError, CauseInvalid, err
	}
	if !shapeOK(out) {
		return results.OutcomeProtocolError, CauseShape, nil
	}
	return results.OutcomeSuccess, "", nil
}

// shapeOK reports whether a decoded 2xx reply is one the protocol
// defines. Capgo's backend answers a device with either its payload or
// {"error", "message"} (simpleError200 in
// supabase/functions/_backend/plugin_runtime/utils/hono.ts, commit
// 4bc7d83f), so a reply with neither is not the protocol's.
func shapeOK(out any) bool {
	switch r := out.(type) {
	case *protocol.UpdateReply:
		// A bundle to install (version), or an error code such as
		// no_new_version_available.
		return r.Version != "" || r.Error != ""
	case *statsWire:
		// {"status":"ok"} (BRES), or an error.
		return r.Status != "" || r.Error != ""
	case *ChannelReply:
		return r.Status != "" || r.Error != "" || r.Channel != ""
	case *[]protocol.ChannelListItem:
		return *r != nil // a JSON array (null is not one)
	}
	return true
}

// FileOutcome classifies one file of a per-file (manifest) download as
// the outcomes of whole requests are.
func FileOutcome(r FileResult) (results.Outcome, string) {
	switch r.Outcome {
	case FileOK:
		return results.OutcomeSuccess, ""
	case FileStatus:
		return results.OutcomeHTTPError, HTTPCause(r.Status)
	case FileChecksum:
		return results.OutcomeProtocolError, CauseChecksum
	case FileDecrypt:
		return results.OutcomeProtocolError, CauseDecrypt
	case FileBrotli:
		return results.OutcomeProtocolError, CauseBrotli
	}
	if r.Err != nil {
		return TransportOutcome(r.Err)
	}
	return results.OutcomeNetworkError, CauseNetwork
}
