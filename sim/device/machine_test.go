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
	b        Behaviour
	p        Platform
	closed   bool // maintenance window closed
	notReady map[uint8]bool
	log      []string
}

func (e *env) Behaviour(uint32) *Behaviour     { return &e.b }
func (e *env) Platform(uint32) *Platform       { return &e.p }
func (e *env) InWindow(uint32, int64) bool     { return !e.closed }
func (e *env) NotReady(_ uint32, b uint8) bool { return e.notReady[b] }
func (e *env) UntilWindow(uint32, int64) int64 {
	if e.closed {
		return 3_600_000
	}
	return 0
}
func (e *env) Send(_ uint32, kind uint8, arg uint8) {
	l := "send " + [...]string{"", "check", "download", "channel_set", "channel_get", "channel_list", "channel_unset"}[kind]
	if kind == ReqDownload {
		l += " " + name(arg)
	}
	e.log = append(e.log, l)
}
func (e *env) Stat(_ uint32, action string, version, old uint8) {
	l := "stat " + action + " " + name(version)
	if old != None {
		l += " old " + name(old)
	}
	e.log = append(e.log, l)
}
func (e *env) Post(_ uint32, action string, version uint8) {
	e.log = append(e.log, "post "+action+" "+name(version))
}
func (e *env) StatFile(_ uint32, action string, b uint8, file uint32, form uint8, post bool) {
	verb := "stat"
	if post {
		verb = "post"
	}
	e.log = append(e.log, fmt.Sprintf("%s %s %s:f%d%s", verb, action, name(b), file, [...]string{"", ".target", ".base"}[form]))
}
func (e *env) After(_ uint32, delay int64, kind uint8, arg uint32) {
	e.log = append(e.log, fmt.Sprintf("after %d %s", delay,
		[...]string{"", "ready", "ready_timeout", "window", "periodic", "process_exit", "app_loaded"}[kind]))
}
func (e *env) Note(_ uint32, n Note) {
	switch n.Kind {
	case NoteFailure:
		e.log = append(e.log, "note failure "+name(n.Bundle)+" "+n.Action)
	case NoteSuccess:
		e.log = append(e.log, "note success "+name(n.Bundle))
	case NoteRateLimited:
		e.log = append(e.log, fmt.Sprintf("note rate_limited %d", n.Arg))
	}
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

// step is one input to the machine.
type step struct {
	at  int64
	do  string // fg, bg, check, dl, timer, channel, push, window
	chk CheckResult
	dl  DownloadResult
	ch  ChannelResult
	tk  uint8
	arg uint32
}

func upd(b uint8) step {
	return step{do: "check", chk: CheckResult{Status: 200, Update: true, Bundle: b}}
}
func reply(kind protocol.Kind) step {
	return step{do: "check", chk: CheckResult{Status: 200, Kind: kind, Code: "x"}}
}
func got(b uint8) step {
	return step{do: "dl", dl: DownloadResult{Bundle: b, Share: 1, OK: true, ChecksumOK: true}}
}
func timer(kind uint8, arg uint32) step { return step{do: "timer", tk: kind, arg: arg} }

var (
	fg = step{do: "fg"}
	bg = step{do: "bg"}
)

func run(t *testing.T, e *env, s *State, steps []step) {
	t.Helper()
	m := Machine{Env: e}
	for _, st := range steps {
		e.log = nil
		switch st.do {
		case "fg":
			if !s.Has(FlagJoined) {
				m.Launch(s, 1, st.at)
			} else {
				m.Foreground(s, 1, st.at)
			}
		case "bg":
			m.Background(s, 1, st.at)
		case "push":
			m.Push(s, 1, st.at)
		case "check":
			m.CheckReply(s, 1, st.at, st.chk)
		case "dl":
			m.DownloadDone(s, 1, st.at, st.dl)
		case "channel":
			m.ChannelReply(s, 1, st.at, st.ch)
		case "timer":
			m.Timer(s, 1, st.at, st.tk, st.arg)
		case "window":
			e.closed = false
		default:
			t.Fatalf("bad step %q", st.do)
		}
	}
}

func TestMachine(t *testing.T) {
	android, ios := Android(), IOS()
	tests := []struct {
		name   string
		p      Platform
		b      Behaviour
		steps  []step
		want   []string // the log of the last step
		expect func(t *testing.T, s *State)
	}{
		{
			// A/CapacitorUpdaterPlugin.java:862 app_launch_start at load,
			// :5205 app_moved_to_foreground, :5208 the check.
			name: "cold start", p: android, steps: []step{fg},
			want: []string{"stat app_launch_start builtin", "after 1500 ready", "stat app_moved_to_foreground builtin", "send check"},
		},
		{
			name: "warm foreground: no launch", p: android, b: Behaviour{ProcessKeep: 60_000},
			steps: []step{fg, reply(protocol.KindUpToDate), bg, fg},
			want:  []string{"stat app_moved_to_foreground builtin", "send check"},
		},
		{
			name: "process ended: cold start again", p: android, b: Behaviour{ProcessKeep: 60_000},
			steps: []step{fg, reply(protocol.KindUpToDate), bg, timer(TimerProcessExit, 1), fg},
			want:  []string{"stat app_launch_start builtin", "after 1500 ready", "stat app_moved_to_foreground builtin", "send check"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:1755 once per process.
			name: "notifyAppReady: app_launch_ready once per process", p: ios,
			steps: []step{fg, timer(TimerReady, 0)},
			want:  []string{"stat app_launch_ready builtin"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:4826: a failure reports one
			// download_fail of the running bundle and nothing is retried.
			name: "5xx: one download_fail, no retry", p: android,
			steps: []step{fg, {do: "check", chk: CheckResult{Status: 503, Kind: protocol.KindFailed}}},
			want:  []string{"stat download_fail builtin"},
		},
		{
			name: "network error: one download_fail", p: ios,
			steps: []step{fg, {do: "check", chk: CheckResult{Status: 0, Kind: protocol.KindFailed}}},
			want:  []string{"stat download_fail builtin"},
		},
		{
			name: "up to date and blocked report nothing", p: android,
			steps: []step{fg, reply(protocol.KindBlocked)},
			want:  nil,
		},
		{
			// A/CapgoUpdater.java:2010: block from the hint, capped at 24 h,
			// rate_limit_reached once as a single object, download_fail.
			name: "429: block, rate_limit_reached, download_fail", p: android,
			steps: []step{fg, {do: "check", chk: CheckResult{Status: 429, Block: 10 * MaxBlock, Kind: protocol.KindFailed, Code: protocol.CodeTooManyRequests}}},
			want:  []string{"note rate_limited 864000000", "post rate_limit_reached builtin", "stat download_fail builtin"},
			expect: func(t *testing.T, s *State) {
				if s.BlockedUntil != MaxBlock {
					t.Errorf("blocked until %d", s.BlockedUntil)
				}
			},
		},
		{
			// A/CapgoUpdater.java:2351: while blocked, no request.
			name: "blocked: no request, download_fail", p: android, b: Behaviour{ProcessKeep: 1 << 40},
			steps: []step{fg, {do: "check", chk: CheckResult{Status: 429, Block: 60_000, Kind: protocol.KindFailed}}, bg, {do: "fg", at: 30_000}},
			want:  []string{"stat app_moved_to_foreground builtin", "stat download_fail builtin"},
		},
		{
			name: "429 without a hint: no block", p: android, b: Behaviour{ProcessKeep: 1 << 40},
			steps: []step{fg, {do: "check", chk: CheckResult{Status: 429, Kind: protocol.KindFailed}}, bg, {do: "fg", at: 1}},
			want:  []string{"stat app_moved_to_foreground builtin", "send check"},
		},
		{
			// A/DownloadService.java:605, :695, :717; A/CapgoUpdater.java:330-893.
			name: "android download: zip posts, progress 10..90, complete, set_next", p: android,
			steps: []step{fg, upd(1), got(1)},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_zip_complete b1",
				"stat download_80 b1", "stat download_90 b1", "stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			name: "android download start", p: android, steps: []step{fg, upd(1)},
			want: []string{"post download_zip_start b1", "send download b1"},
		},
		{
			// I/CapgoUpdater.swift:1964-2079.
			name: "ios download", p: ios, steps: []step{fg, upd(1), got(1)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			name: "ios download start", p: ios, steps: []step{fg, upd(1)},
			want: []string{"stat download_zip_start b1", "stat download_0 b1", "send download b1"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:2494: lastNotifiedStatPercent
			// stays at 100 for the rest of the process.
			name: "android: no progress after the first download of a process", p: android,
			steps: []step{fg, upd(1), got(1), {do: "push"}, upd(2), got(2)},
			want:  []string{"post download_zip_complete b2", "stat download_complete b2", "stat set_next b2 old builtin"},
		},
		{
			// A/CapgoUpdater.java:853, :872, :1621, :711.
			name: "android checksum failure", p: android,
			steps: []step{fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 1, OK: true}}},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_zip_complete b1",
				"stat checksum_fail builtin", "stat delete b1", "stat download_fail builtin", "stat finish_download_fail b1",
				"note failure b1 checksum_fail"},
		},
		{
			// I/CapacitorUpdaterPlugin.swift:4410.
			name: "ios checksum failure", p: ios,
			steps: []step{fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 1, OK: true}}},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat checksum_fail b1", "stat delete b1", "stat download_fail builtin",
				"note failure b1 checksum_fail"},
		},
		{
			// A/CapgoUpdater.java:753: download_fail of the new bundle.
			name: "android interrupted download", p: android,
			steps: []step{fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 0.35}}},
			want:  []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_fail b1", "note failure b1 download_fail"},
		},
		{
			// I/CapacitorUpdaterPlugin.swift:4495: of the running bundle.
			name: "ios interrupted download", p: ios,
			steps: []step{fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 0.35}}},
			want:  []string{"stat download_fail builtin", "note failure b1 download_fail"},
		},
		{
			name: "interrupted download: the next offer downloads again from the start", p: ios,
			steps: []step{fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 0.35}}, {do: "push"}, upd(1)},
			want:  []string{"stat download_zip_start b1", "stat download_0 b1", "send download b1"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:5088 installNext.
			name: "atBackground: set at the move to the background", p: android,
			steps: []step{fg, upd(1), got(1), bg},
			want:  []string{"stat app_moved_to_background builtin", "stat set b1 old builtin", "after 1500 ready", "after 0 process_exit"},
		},
		{
			name: "a waiting bundle offered again: set_next again", p: android,
			steps: []step{fg, upd(1), got(1), {do: "push"}, upd(1)},
			want:  []string{"stat set_next b1 old builtin"},
		},
		{
			// A/CapgoUpdater.java:1838 finalizePendingReload.
			name: "always: set as soon as downloaded", p: ios, b: Behaviour{Mode: ModeAlways},
			steps: []step{fg, upd(1), got(1)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat set b1 old builtin", "after 1500 ready"},
		},
		{
			name: "onlyDownload: never set", p: ios, b: Behaviour{Mode: ModeOnlyDownload},
			steps: []step{fg, upd(1), got(1), bg},
			want:  []string{"stat app_moved_to_background builtin", "after 0 process_exit"},
		},
		{
			name: "off: no check", p: android, b: Behaviour{Mode: ModeOff}, steps: []step{fg},
			want: []string{"stat app_launch_start builtin", "after 1500 ready", "stat app_moved_to_foreground builtin"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:2092: onLaunch is direct until
			// the first check of the process ends.
			name: "onLaunch: the second check of a process is not direct", p: ios, b: Behaviour{Mode: ModeOnLaunch, ProcessKeep: 1 << 40},
			steps: []step{fg, reply(protocol.KindUpToDate), bg, fg, upd(1), got(1)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			name: "onLaunch: direct after a cold start", p: ios, b: Behaviour{Mode: ModeOnLaunch},
			steps: []step{fg, reply(protocol.KindUpToDate), bg, timer(TimerProcessExit, 1), fg, upd(1), got(1)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat set b1 old builtin", "after 1500 ready"},
		},
		{
			name: "atInstall: direct only for the first check after the install", p: ios, b: Behaviour{Mode: ModeAtInstall},
			steps: []step{fg, reply(protocol.KindUpToDate), bg, timer(TimerProcessExit, 1), fg, upd(1), got(1)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:4838.
			name: "builtin reply, direct: reset at once", p: android, b: Behaviour{Mode: ModeAlways},
			steps: []step{fg, upd(1), got(1), timer(TimerReady, 1), {do: "push"}, {do: "check", chk: CheckResult{Status: 200, Update: true, Bundle: Builtin}}},
			want:  []string{"stat reset builtin old b1"},
		},
		{
			name: "builtin reply, atBackground: set as next, reset at the background", p: android,
			steps: []step{fg, upd(1), got(1), bg, timer(TimerReady, 1), fg, {do: "check", chk: CheckResult{Status: 200, Update: true, Bundle: Builtin}}, bg},
			want:  []string{"stat app_moved_to_background b1", "stat reset builtin old b1", "after 0 process_exit"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:5120 checkRevert; the timeout is
			// not reported after app_launch_ready in the same process.
			name: "android revert after ready in the process: update_fail, no app_launch_timeout", p: android,
			b: Behaviour{Mode: ModeAlways}, steps: []step{fg, timer(TimerReady, 0), upd(2), got(2), timer(TimerReadyTimeout, 2)},
			want: []string{"stat update_fail b2", "note failure b2 update_fail", "stat delete b2"},
		},
		{
			// I/CapacitorUpdaterPlugin.swift:3243: reported at every revert.
			name: "ios revert: app_launch_timeout, update_fail, delete", p: ios,
			b: Behaviour{Mode: ModeAlways}, steps: []step{fg, timer(TimerReady, 0), upd(2), got(2), timer(TimerReadyTimeout, 2)},
			want: []string{"stat app_launch_timeout b2", "stat update_fail b2", "note failure b2 update_fail", "stat delete b2"},
		},
		{
			// A/CapgoUpdater.java:1768 the reset clears the current bundle
			// before set(fallback): old is the builtin.
			name: "revert to a good fallback: set with the builtin as old", p: ios, b: Behaviour{Mode: ModeAlways},
			steps: []step{fg, upd(1), got(1), timer(TimerReady, 1), {do: "push"}, upd(2), got(2), timer(TimerReadyTimeout, 2)},
			want: []string{"stat app_launch_timeout b2", "stat update_fail b2", "note failure b2 update_fail",
				"stat set b1 old builtin", "after 1500 ready", "stat delete b2"},
		},
		{
			name: "autoDeleteFailed: a failed bundle offered again is downloaded again", p: ios, b: Behaviour{Mode: ModeAlways},
			steps: []step{fg, upd(2), got(2), timer(TimerReadyTimeout, 2), {do: "push"}, upd(2)},
			want:  []string{"stat download_zip_start b2", "stat download_0 b2", "send download b2"},
		},
		{
			name: "without autoDeleteFailed: refused with download_fail", p: ios, b: Behaviour{Mode: ModeAlways, KeepFailed: true},
			steps: []step{fg, upd(2), got(2), timer(TimerReadyTimeout, 2), {do: "push"}, upd(2)},
			want:  []string{"stat download_fail builtin"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:1897 autoDeletePrevious.
			name: "success deletes the previous fallback", p: ios, b: Behaviour{Mode: ModeAlways},
			steps: []step{fg, upd(1), got(1), timer(TimerReady, 1), {do: "push"}, upd(2), got(2), timer(TimerReady, 2)},
			want:  []string{"stat delete b1", "note success b2"},
		},
		{
			name: "android periodic: a reply with a version goes on to a full check", p: android, b: Behaviour{PeriodCheck: 600_000},
			steps: []step{fg, reply(protocol.KindUpToDate), timer(TimerPeriodic, 1), {do: "check", chk: CheckResult{Status: 200, Update: true, Bundle: Builtin}}},
			want:  []string{"send check"},
		},
		{
			name: "android periodic: an error reply reports nothing", p: android, b: Behaviour{PeriodCheck: 600_000},
			steps: []step{fg, reply(protocol.KindUpToDate), timer(TimerPeriodic, 1), {do: "check", chk: CheckResult{Status: 500, Kind: protocol.KindFailed}}},
			want:  nil,
		},
		{
			name: "ios periodic: an error reply goes on to a full check", p: ios, b: Behaviour{PeriodCheck: 600_000},
			steps: []step{fg, reply(protocol.KindUpToDate), timer(TimerPeriodic, 1), reply(protocol.KindUpToDate)},
			want:  []string{"send check"},
		},
		{
			name: "ios periodic: not in the background", p: ios, b: Behaviour{PeriodCheck: 600_000, ProcessKeep: 1 << 40},
			steps: []step{fg, reply(protocol.KindUpToDate), bg, timer(TimerPeriodic, 1)},
			want:  []string{"after 600000 periodic"},
		},
		{
			name: "self-assign at first launch", p: android, b: Behaviour{SelfAssign: true},
			steps: []step{fg, timer(TimerAppLoaded, 1)},
			want:  []string{"send channel_set"},
		},
		{
			// A/CapgoUpdater.java:2470: a refused setChannel keeps the
			// previous channel and is not asked again.
			name: "self-assign refused: the channel stays", p: android, b: Behaviour{SelfAssign: true},
			steps: []step{fg, timer(TimerAppLoaded, 1), {do: "channel", ch: ChannelResult{Kind: ReqChannelSet, Status: 400, Code: protocol.CodeChannelSelfSetNotAllow, Channel: None}}},
			want:  nil,
			expect: func(t *testing.T, s *State) {
				if s.Channel != None || !s.Has(FlagChannelAsked) {
					t.Errorf("channel %d flags %b", s.Channel, s.Flags)
				}
			},
		},
		{
			name: "self-assign accepted: kept and checked", p: android, b: Behaviour{SelfAssign: true},
			steps: []step{fg, reply(protocol.KindUpToDate), timer(TimerAppLoaded, 1), {do: "channel", ch: ChannelResult{Kind: ReqChannelSet, Status: 200, OK: true, Channel: 1}}},
			want:  []string{"send check"},
			expect: func(t *testing.T, s *State) {
				if s.Channel != 1 {
					t.Errorf("channel %d", s.Channel)
				}
			},
		},
		{
			name: "legacy plugin: the server keeps the channel", p: android, b: Behaviour{SelfAssign: true, LegacyChannel: true},
			steps: []step{fg, reply(protocol.KindUpToDate), timer(TimerAppLoaded, 1), {do: "channel", ch: ChannelResult{Kind: ReqChannelSet, Status: 200, OK: true, Channel: 1}}},
			want:  []string{"send check"},
			expect: func(t *testing.T, s *State) {
				if s.Channel != None {
					t.Errorf("channel %d", s.Channel)
				}
			},
		},
		{
			name: "channel picker: getChannel and listChannels", p: ios, b: Behaviour{ChannelPicker: true},
			steps: []step{fg, timer(TimerAppLoaded, 1)},
			want:  []string{"send channel_get", "send channel_list"},
		},
		{
			// A/CapacitorUpdaterPlugin.java:1040: a pending bundle gets at
			// least 30 s on Android.
			name: "a broken bundle: appReadyTimeout", p: android, b: Behaviour{Mode: ModeAlways},
			steps: []step{fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 1, OK: true, ChecksumOK: true}}},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_zip_complete b1",
				"stat download_80 b1", "stat download_90 b1", "stat download_complete b1", "stat set b1 old builtin",
				"after 30000 ready_timeout"},
		},
		{
			name: "maintenance window closed: set_next waits for the window", p: ios, b: Behaviour{Mode: ModeAlways},
			steps: []step{{do: "window"}, fg, upd(1), {do: "dl", dl: DownloadResult{Bundle: 1, Share: 1}}},
			want:  []string{"stat download_fail builtin", "note failure b1 download_fail"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.p.Name+"/"+tt.name, func(t *testing.T) {
			e := &env{b: tt.b, p: tt.p, notReady: map[uint8]bool{}}
			if strings.Contains(tt.name, "broken") {
				e.notReady[1] = true
			}
			s := NewState(Never)
			run(t, e, &s, tt.steps)
			if !slices.Equal(e.log, tt.want) {
				t.Errorf("last step:\n got %s\nwant %s", strings.Join(e.log, "\n     "), strings.Join(tt.want, "\n     "))
			}
			if tt.expect != nil {
				tt.expect(t, &s)
			}
		})
	}
}

func TestStateSize(t *testing.T) {
	if n := unsafe.Sizeof(State{}); n > 64 {
		t.Fatalf("State is %d bytes, want at most 64", n)
	}
}

type nopEnv struct {
	b Behaviour
	p Platform
}

func (n *nopEnv) Behaviour(uint32) *Behaviour                       { return &n.b }
func (n *nopEnv) Platform(uint32) *Platform                         { return &n.p }
func (*nopEnv) InWindow(uint32, int64) bool                         { return true }
func (*nopEnv) UntilWindow(uint32, int64) int64                     { return -1 }
func (*nopEnv) NotReady(uint32, uint8) bool                         { return false }
func (*nopEnv) Send(uint32, uint8, uint8)                           {}
func (*nopEnv) Stat(uint32, string, uint8, uint8)                   {}
func (*nopEnv) Post(uint32, string, uint8)                          {}
func (*nopEnv) After(uint32, int64, uint8, uint32)                  {}
func (*nopEnv) StatFile(uint32, string, uint8, uint32, uint8, bool) {}
func (*nopEnv) Note(uint32, Note)                                   {}

func BenchmarkTransition(b *testing.B) {
	m := Machine{Env: &nopEnv{p: Android()}}
	s := NewState(Never)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bun := uint8(1 + i%2)
		m.Foreground(&s, 1, int64(i))
		m.CheckReply(&s, 1, int64(i), CheckResult{Status: 200, Update: true, Bundle: bun})
		m.DownloadDone(&s, 1, int64(i), DownloadResult{Bundle: bun, Share: 1, OK: true, ChecksumOK: true})
		m.Background(&s, 1, int64(i))
		m.Timer(&s, 1, int64(i), TimerReady, uint32(bun))
	}
}
