package device

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/otasim/otasim/protocol"
)

// env records the effects of transitions as readable lines.
type env struct {
	mode       uint8
	closed     bool // maintenance window closed
	selfAssign bool
	notReady   map[uint8]bool
	log        []string
}

func (e *env) Mode(uint32) uint8           { return e.mode }
func (e *env) InWindow(uint32, int64) bool { return !e.closed }
func (e *env) UntilWindow(uint32, int64) int64 {
	if e.closed {
		return 3_600_000
	}
	return 0
}
func (e *env) SelfAssign(uint32) bool          { return e.selfAssign }
func (e *env) NotReady(_ uint32, b uint8) bool { return e.notReady[b] }
func (e *env) Send(_ uint32, kind uint8, arg uint8) {
	e.log = append(e.log, fmt.Sprintf("send %s", [...]string{"", "check", "download", "channel_self"}[kind]+suffix(kind == ReqDownload, arg)))
}
func (e *env) Stat(_ uint32, action string, version, old uint8) {
	l := "stat " + action + " " + name(version)
	if old != None {
		l += " old " + name(old)
	}
	e.log = append(e.log, l)
}
func (e *env) After(_ uint32, delay int64, kind uint8, arg uint32) {
	e.log = append(e.log, fmt.Sprintf("after %d %s %d", delay, [...]string{"", "ready", "ready_timeout", "retry_check", "window"}[kind], arg))
}
func (e *env) Note(_ uint32, n Note) {
	l := "note " + [...]string{"", "attempt", "success", "failure", "abandon", "reply", "rate_limited", "revert", "reset", "gave_up", "skipped_failed"}[n.Kind]
	switch n.Kind {
	case NoteReply:
		l += " " + n.Code
	case NoteFailure:
		l += " " + name(n.Bundle) + " " + n.Action
	case NoteRateLimited:
		l += fmt.Sprintf(" %d", n.Arg)
	case NoteGaveUp:
	default:
		l += " " + name(n.Bundle)
	}
	e.log = append(e.log, l)
}

func suffix(ok bool, b uint8) string {
	if ok {
		return " " + name(b)
	}
	return ""
}

func name(b uint8) string {
	switch b {
	case Builtin:
		return "builtin"
	case None:
		return "none"
	}
	return fmt.Sprintf("b%d", b)
}

type step struct {
	at   int64
	do   string // fg, bg, check, dl, timer, channel, push
	chk  CheckResult
	dl   DownloadResult
	ch   ChannelResult
	kind uint8
	arg  uint32
}

func upd(b uint8) CheckResult {
	return CheckResult{Status: 200, Update: true, Bundle: b, RetryAfter: -1}
}
func errReply(code string) CheckResult {
	return CheckResult{Status: 200, Code: code, Kind: protocol.KindOf(code), RetryAfter: -1}
}

func TestMachine(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		steps []step
		want  []string // the log of the last step
		check func(t *testing.T, s *State)
	}{
		{
			name:  "foreground checks",
			steps: []step{{do: "fg"}},
			want:  []string{"stat app_moved_to_foreground builtin", "send check"},
		},
		{
			name:  "update offered: download",
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)}},
			want:  []string{"stat download_zip_start b1", "note attempt b1", "send download b1"},
		},
		{
			name: "download ok, atBackground: set_next then set at background",
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}}, {do: "bg", at: 100}},
			want: []string{"stat app_moved_to_background builtin", "stat set b1 old builtin", "after 1500 ready 1"},
		},
		{
			name: "notifyAppReady: success, fallback",
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}}, {do: "bg", at: 100},
				{do: "timer", at: 1600, kind: TimerReady, arg: 1}},
			want: []string{"stat app_launch_ready b1", "note success b1"},
			check: func(t *testing.T, s *State) {
				if s.Running != 1 || s.Fallback != 1 || s.Has(FlagAwaitReady) {
					t.Errorf("state %+v", s)
				}
			},
		},
		{
			name: "always mode applies at once",
			env:  env{mode: ModeAlways},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(2)},
				{do: "dl", dl: DownloadResult{Bundle: 2, OK: true, ChecksumOK: true}}},
			want: []string{"stat download_complete b2", "stat set b2 old builtin", "after 1500 ready 2"},
		},
		{
			name: "maintenance window closed: wait, apply at a later foreground in the window",
			env:  env{mode: ModeOnLaunch, closed: true},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}}, {do: "bg"},
				{do: "window"}, {do: "fg", at: 5000}},
			want: []string{"stat app_moved_to_foreground builtin", "stat set b1 old builtin", "after 1500 ready 1", "send check"},
		},
		{
			name: "maintenance window closed: set_next waits for the window",
			env:  env{mode: ModeAtBackground, closed: true},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}}},
			want: []string{"stat download_complete b1", "stat set_next b1", "after 3600000 window 1"},
		},
		{
			name: "maintenance window opens: the waiting bundle is applied",
			env:  env{mode: ModeAtBackground, closed: true},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}}, {do: "bg"},
				{do: "window"}, {do: "timer", at: 3_600_000, kind: TimerWindow, arg: 1}},
			want: []string{"stat set b1 old builtin", "after 1500 ready 1"},
		},
		{
			name:  "up to date",
			steps: []step{{do: "fg"}, {do: "check", chk: errReply(protocol.CodeNoNewVersion)}},
			want:  []string{"note reply no_new_version_available"},
		},
		{
			name:  "blocked: no download",
			steps: []step{{do: "fg"}, {do: "check", chk: errReply(protocol.CodeDisableMajor)}},
			want:  []string{"note reply disable_auto_update_to_major"},
		},
		{
			name:  "failed: no download",
			steps: []step{{do: "fg"}, {do: "check", chk: errReply(protocol.CodeNoChannel)}},
			want:  []string{"note reply no_channel"},
		},
		{
			name:  "unknown kind: download_fail as the plugin",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 200, Code: "weird", Kind: "?", RetryAfter: -1}}},
			want:  []string{"note reply weird", "stat download_fail builtin"},
		},
		{
			name:  "garbage reply",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 200, Invalid: true}}},
			want:  []string{"note reply invalid_reply"},
		},
		{
			name: "checksum failure",
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: false}}},
			want: []string{"stat checksum_fail b1", "stat download_fail b1", "note failure b1 checksum_fail"},
			check: func(t *testing.T, s *State) {
				if s.Next != None || s.Downloading != None || s.IsFailed(1) {
					t.Errorf("state %+v", s)
				}
			},
		},
		{
			name: "download failure",
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1}}},
			want: []string{"stat download_fail b1", "note failure b1 download_fail"},
		},
		{
			name: "missed notifyAppReady: timeout, update_fail, revert, never again",
			env:  env{mode: ModeAlways, notReady: map[uint8]bool{2: true}},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}},
				{do: "timer", kind: TimerReady, arg: 1},
				{do: "check", chk: upd(2)}, // no check in flight: reply still handled
				{do: "dl", dl: DownloadResult{Bundle: 2, OK: true, ChecksumOK: true}},
				{do: "timer", at: 10_000, kind: TimerReadyTimeout, arg: 2},
			},
			want: []string{"stat app_launch_timeout b2", "stat update_fail b2", "note failure b2 update_fail",
				"stat set b1 old b2", "note revert b1"},
			check: func(t *testing.T, s *State) {
				if s.Running != 1 || !s.IsFailed(2) {
					t.Errorf("state %+v", s)
				}
			},
		},
		{
			name: "failed bundle offered again: skipped",
			env:  env{mode: ModeAlways, notReady: map[uint8]bool{1: true}},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}},
				{do: "timer", kind: TimerReadyTimeout, arg: 1},
				{do: "check", chk: upd(1)}},
			want: []string{"note skipped_failed b1"},
		},
		{
			name: "builtin reply resets",
			env:  env{mode: ModeAlways},
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}},
				{do: "timer", kind: TimerReady, arg: 1},
				{do: "check", chk: upd(Builtin)}},
			want: []string{"stat reset builtin old b1", "note reset builtin"},
		},
		{
			name:  "429 honours Retry-After",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 429, RetryAfter: 120_000}}, {do: "fg", at: 119_999}},
			want:  []string{"stat app_moved_to_foreground builtin"},
		},
		{
			name: "429 Retry-After passed: checks again",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 429, RetryAfter: 120_000}},
				{do: "bg"}, {do: "fg", at: 120_000}},
			want: []string{"stat app_moved_to_foreground builtin", "send check"},
		},
		{
			name:  "429 Retry-After capped at 24 h",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 429, RetryAfter: 10 * MaxRetryAfter}}},
			want:  []string{"note rate_limited 86400000", "stat rate_limit_reached builtin"},
		},
		{
			name: "5xx: backoff doubles, then gives up",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 503}},
				{do: "timer", kind: TimerRetryCheck}, {do: "check", chk: CheckResult{Status: 0}},
				{do: "timer", kind: TimerRetryCheck}, {do: "check", chk: CheckResult{Status: 500}},
				{do: "timer", kind: TimerRetryCheck}, {do: "check", chk: CheckResult{Status: 502}}},
			want: []string{"note gave_up"},
		},
		{
			name:  "5xx: first retry after 2 s",
			steps: []step{{do: "fg"}, {do: "check", chk: CheckResult{Status: 503}}},
			want:  []string{"after 2000 retry_check 0"},
		},
		{
			name:  "self-assign first, then check",
			env:   env{selfAssign: true},
			steps: []step{{do: "fg"}, {do: "channel", ch: ChannelResult{Status: 200, OK: true}}},
			want:  []string{"send check"},
			check: func(t *testing.T, s *State) {
				if !s.Has(FlagSelfAssigned) {
					t.Error("not self-assigned")
				}
			},
		},
		{
			name:  "self-assign sent at first launch",
			env:   env{selfAssign: true},
			steps: []step{{do: "fg"}},
			want:  []string{"stat app_moved_to_foreground builtin", "send channel_self"},
		},
		{
			name: "self-assign refused: keeps default channel, checks, never asks again",
			env:  env{selfAssign: true},
			steps: []step{{do: "fg"}, {do: "channel", ch: ChannelResult{Status: 400, Code: protocol.CodeChannelSelfSetNotAllow}},
				{do: "check", chk: errReply(protocol.CodeNoNewVersion)}, {do: "bg"}, {do: "fg"}},
			want: []string{"stat app_moved_to_foreground builtin", "send check"},
		},
		{
			name: "newer bundle replaces a waiting one",
			steps: []step{{do: "fg"}, {do: "check", chk: upd(1)},
				{do: "dl", dl: DownloadResult{Bundle: 1, OK: true, ChecksumOK: true}},
				{do: "push"}, {do: "check", chk: upd(2)},
				{do: "dl", dl: DownloadResult{Bundle: 2, OK: true, ChecksumOK: true}}},
			want: []string{"stat download_complete b2", "note abandon b1", "stat set_next b2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.env
			m := Machine{Env: &e}
			s := NewState(Never)
			for _, st := range tt.steps {
				e.log = nil
				switch st.do {
				case "fg":
					m.Foreground(&s, 1, st.at)
				case "bg":
					m.Background(&s, 1, st.at)
				case "push":
					m.Push(&s, 1, st.at)
				case "check":
					m.CheckReply(&s, 1, st.at, st.chk)
				case "dl":
					m.DownloadDone(&s, 1, st.at, st.dl)
				case "channel":
					m.ChannelReply(&s, 1, st.at, st.ch)
				case "timer":
					m.Timer(&s, 1, st.at, st.kind, st.arg)
				case "window":
					e.closed = false
				default:
					t.Fatalf("bad step %q", st.do)
				}
			}
			if !slices.Equal(e.log, tt.want) {
				t.Errorf("last step:\n got %s\nwant %s", strings.Join(e.log, "\n     "), strings.Join(tt.want, "\n     "))
			}
			if tt.check != nil {
				tt.check(t, &s)
			}
		})
	}
}

func TestStateSize(t *testing.T) {
	if n := unsafe.Sizeof(State{}); n > 64 {
		t.Fatalf("State is %d bytes, want at most 64", n)
	}
}

type nopEnv struct{}

func (nopEnv) Mode(uint32) uint8                  { return ModeAtBackground }
func (nopEnv) InWindow(uint32, int64) bool        { return true }
func (nopEnv) UntilWindow(uint32, int64) int64    { return -1 }
func (nopEnv) SelfAssign(uint32) bool             { return false }
func (nopEnv) NotReady(uint32, uint8) bool        { return false }
func (nopEnv) Send(uint32, uint8, uint8)          {}
func (nopEnv) Stat(uint32, string, uint8, uint8)  {}
func (nopEnv) After(uint32, int64, uint8, uint32) {}
func (nopEnv) Note(uint32, Note)                  {}

func BenchmarkTransition(b *testing.B) {
	m := Machine{Env: nopEnv{}}
	s := NewState(Never)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		m.Foreground(&s, 1, int64(i))
		m.CheckReply(&s, 1, int64(i), upd(uint8(1+i%2)))
		m.DownloadDone(&s, 1, int64(i), DownloadResult{Bundle: uint8(1 + i%2), OK: true, ChecksumOK: true})
		m.Background(&s, 1, int64(i))
		m.Timer(&s, 1, int64(i), TimerReady, uint32(1+i%2))
	}
}
