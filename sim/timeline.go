package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/otasim/otasim/scenarios"
	"github.com/otasim/otasim/sim/admin"
	"github.com/otasim/otasim/sim/results"
	"github.com/otasim/otasim/sim/sched"
	"github.com/otasim/otasim/sim/vclock"
)

type actionReq struct {
	idx  int
	at   int64
	poll bool
	// guards are the channels whose history a poll reads, or a step
	// reads when the server refuses it as a conflict.
	guards []string
}

type actionResult struct {
	idx  int
	at   int64
	err  error
	poll bool
	hist map[string][]admin.HistoryEvent
}

// timelineState follows the timeline: what the engine asked, what the
// server answered, and the rollback in progress.
type timelineState struct {
	steps   []scenarios.Step
	judged  string
	firstMs int64 // first release/rollout of the judged bundle; -1: none

	reqs    chan actionReq
	results chan actionResult
	polling bool

	outcomes []results.ActionResult
	skipped  []results.ActionResult
	trips    []results.ActionResult
	seenTrip map[string]bool
	// guardRolledBack is, per channel, when its guard first rolled a
	// rollout back (virtual ms): later actions on the rollout are moot.
	guardRolledBack map[string]int64

	rollout map[string]string // channel → bundle rolling out
	stable  map[string]string // channel → bundle for everyone
	prev    map[string]string // channel → previous stable bundle
	guards  []string

	rb rollbackState
}

type rollbackState struct {
	happened bool
	name     string
	bundle   uint8
	atMs     int64
	trigger  string
	exposed  int64
	doneMs   int64 // -1 until 95% of exposed devices are back
	lateSeen bool  // detected after the fact (guard polling)
}

func (e *engine) initTimeline() {
	t := &e.timeline
	t.steps = e.sc.Timeline
	t.firstMs = -1
	t.seenTrip = map[string]bool{}
	t.guardRolledBack = map[string]int64{}
	t.rollout, t.stable, t.prev = map[string]string{}, map[string]string{}, map[string]string{}
	t.rb.doneMs = -1
	for _, ch := range e.sc.App.Channels {
		t.stable[ch.Name] = ch.Bundle
	}
	for _, spec := range e.sc.TargetSpecs() {
		if spec.Name == scenarios.TargetAdoption {
			t.judged = spec.Bundle
		}
	}
	if t.judged == "" {
		t.judged = e.sc.Targets.AdoptionBundle
	}
	if t.judged == "" {
		t.judged = e.sc.ReleasedBundle()
	}
	for i := range t.steps {
		st := &t.steps[i]
		at := st.At.D().Milliseconds()
		if t.firstMs < 0 && ((st.Release != nil && e.judged(st.Release.Bundle)) || (st.Rollout != nil && e.judged(st.Rollout.Bundle))) {
			t.firstMs = at
		}
		if at <= e.endMs {
			e.q.Push(sched.Event{At: at, Device: noDevice, Kind: evTimeline, Arg: uint32(i)})
		}
	}
	t.reqs = make(chan actionReq, len(t.steps)+4)
	t.results = make(chan actionResult, len(t.steps)+4)
}

// start runs the admin calls in order on one goroutine, so a slow admin
// API never stalls the devices.
func (t *timelineState) start(ctx context.Context, ad *admin.Client, steps StepRunner, app string) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for r := range t.reqs {
			if ad == nil {
				continue
			}
			res := actionResult{idx: r.idx, at: r.at, poll: r.poll}
			cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			if r.poll {
				res.hist, res.err = pollGuards(cctx, ad, app, r.guards)
			} else if steps != nil {
				res.err = steps.Step(cctx, r.idx, &t.steps[r.idx])
			} else {
				res.err = ad.Do(cctx, app, &t.steps[r.idx])
				if admin.IsStatus(res.err, 409) && len(r.guards) > 0 {
					// Refused as a conflict: read the guard's history now,
					// so an action the guard made moot is told apart from
					// a real conflict.
					res.hist, _ = pollGuards(cctx, ad, app, r.guards)
				}
			}
			cancel()
			select {
			case t.results <- res:
			default: // the engine has stopped reading
			}
		}
	}()
	return done
}

func pollGuards(ctx context.Context, ad *admin.Client, app string, channels []string) (map[string][]admin.HistoryEvent, error) {
	out := map[string][]admin.HistoryEvent{}
	for _, ch := range channels {
		h, err := ad.History(ctx, app, ch)
		if err != nil {
			return out, err
		}
		out[ch] = h
	}
	return out, nil
}

func (t *timelineState) stop() { close(t.reqs) }

func describe(st *scenarios.Step) (string, string) {
	name, v := st.Action()
	var d string
	switch a := v.(type) {
	case *scenarios.Release:
		d = fmt.Sprintf("%s → %s", a.Channel, a.Bundle)
	case *scenarios.Rollout:
		d = fmt.Sprintf("%s: %s at %g%%", a.Channel, a.Bundle, a.Percent)
	case *scenarios.SetPercent:
		d = fmt.Sprintf("%s: %g%%", a.Channel, a.Percent)
	case *scenarios.ChannelRef:
		d = a.Channel
	case *scenarios.Guard:
		d = fmt.Sprintf("%s: %s at failure rate %g (min %d attempts)", a.Channel, a.Action, a.Threshold, a.MinAttempts)
	default:
		d = strings.TrimPrefix(fmt.Sprintf("%+v", v), "&")
	}
	return name, d
}

// runStep carries out timeline step idx at virtual time at.
func (e *engine) runStep(idx int, at int64) {
	t := &e.timeline
	st := &t.steps[idx]
	name, detail := describe(st)
	if e.cfg.Admin == nil {
		t.skipped = append(t.skipped, results.ActionResult{AtS: float64(at) / 1000, Action: name, Detail: detail,
			Outcome: "skipped", Error: "the target has no admin API"})
		return
	}
	switch {
	case st.Release != nil:
		t.prev[st.Release.Channel] = t.stable[st.Release.Channel]
		t.stable[st.Release.Channel] = st.Release.Bundle
	case st.Rollout != nil:
		t.rollout[st.Rollout.Channel] = st.Rollout.Bundle
	case st.Promote != nil:
		if b, ok := t.rollout[st.Promote.Channel]; ok {
			t.prev[st.Promote.Channel] = t.stable[st.Promote.Channel]
			t.stable[st.Promote.Channel] = b
			delete(t.rollout, st.Promote.Channel)
		}
	case st.Rollback != nil:
		ch := st.Rollback.Channel
		bad, ok := t.rollout[ch]
		if ok {
			delete(t.rollout, ch)
		} else {
			bad = t.stable[ch]
			t.stable[ch] = t.prev[ch]
		}
		e.startRollback(bad, at, "timeline")
	case st.Guard != nil && !st.Guard.Disabled:
		t.guards = append(t.guards, st.Guard.Channel)
	}
	req := actionReq{idx: idx, at: at}
	if ch := stepChannel(st); ch != "" && slices.Contains(t.guards, ch) {
		req.guards = []string{ch}
	}
	t.reqs <- req
}

// stepChannel is the channel a step acts on ("" for fault steps).
func stepChannel(st *scenarios.Step) string {
	switch {
	case st.Release != nil:
		return st.Release.Channel
	case st.Rollout != nil:
		return st.Rollout.Channel
	case st.SetPercent != nil:
		return st.SetPercent.Channel
	case st.Pause != nil:
		return st.Pause.Channel
	case st.Resume != nil:
		return st.Resume.Channel
	case st.Promote != nil:
		return st.Promote.Channel
	case st.Rollback != nil:
		return st.Rollback.Channel
	case st.Guard != nil:
		return st.Guard.Channel
	}
	return ""
}

// mootAfterGuard reports why a step the server refused as a conflict has
// nothing left to do: the channel's guard rolled the rollout back before
// the step's time, so there is no rollout to change, promote or roll back.
func (t *timelineState) mootAfterGuard(st *scenarios.Step, at int64) (string, bool) {
	if st.SetPercent == nil && st.Pause == nil && st.Resume == nil && st.Promote == nil && st.Rollback == nil {
		return "", false
	}
	tripMs, ok := t.guardRolledBack[stepChannel(st)]
	if !ok || tripMs > at {
		return "", false
	}
	return "already rolled back by the guard at " + hhmm(tripMs), true
}

// hhmm prints virtual ms since the start as HH:MM.
func hhmm(ms int64) string {
	m := ms / 60_000
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}

// timelineResult records an admin call's outcome.
func (e *engine) timelineResult(r actionResult) {
	t := &e.timeline
	if r.poll {
		t.polling = false
		e.guardHistory(r.hist)
		return
	}
	if r.hist != nil {
		e.guardHistory(r.hist)
	}
	name, detail := describe(&t.steps[r.idx])
	ar := results.ActionResult{AtS: float64(r.at) / 1000, Action: name, Detail: detail, Outcome: "ok"}
	if r.err != nil {
		ar.Outcome, ar.Error = "error", r.err.Error()
		if why, moot := t.mootAfterGuard(&t.steps[r.idx], r.at); moot && admin.IsStatus(r.err, 409) {
			ar.Outcome, ar.Error = "skipped", why
		} else if admin.IsStatus(r.err, 404) || admin.IsStatus(r.err, 405) {
			ar.Outcome = "skipped"
			t.skipped = append(t.skipped, ar)
		}
	}
	t.outcomes = append(t.outcomes, ar)
}

// pollGuard asks for the guarded channels' history (one poll at a time).
func (e *engine) pollGuard() {
	t := &e.timeline
	if e.cfg.Admin == nil || len(t.guards) == 0 || t.polling || e.stopping {
		return
	}
	select {
	case t.reqs <- actionReq{poll: true, guards: slices.Clone(t.guards)}:
		t.polling = true
	default:
	}
}

// guardHistory records guard trips and starts the rollback clock at the
// first trip that paused or rolled back.
func (e *engine) guardHistory(h map[string][]admin.HistoryEvent) {
	t := &e.timeline
	epoch := vclock.Epoch()
	for ch, evs := range h {
		for _, ev := range evs {
			if !strings.HasPrefix(ev.Event, "guard_") || ev.Event == "guard_config" {
				continue
			}
			key := ch + ev.Event + ev.At.String()
			if t.seenTrip[key] {
				continue
			}
			t.seenTrip[key] = true
			atMs := ev.At.Sub(epoch).Milliseconds()
			t.trips = append(t.trips, results.ActionResult{AtS: float64(atMs) / 1000, Action: ev.Event,
				Detail: ch + ": " + ev.Reason, Outcome: "ok"})
			if ev.Event == "guard_rollback" {
				if _, ok := t.guardRolledBack[ch]; !ok {
					t.guardRolledBack[ch] = atMs
				}
				if t.rollout[ch] == ev.Bundle {
					delete(t.rollout, ch)
				}
			}
			if ev.Event != "guard_notify" && !t.rb.happened {
				e.startRollback(ev.Bundle, atMs, ev.Event)
				t.rb.lateSeen = true
			}
		}
	}
}

// startRollback starts measuring the return from a bad bundle.
func (e *engine) startRollback(bad string, atMs int64, trigger string) {
	t := &e.timeline
	if t.rb.happened || bad == "" {
		return
	}
	idx, ok := e.bundles.index[bad]
	if !ok || idx >= 64 {
		return
	}
	t.rb = rollbackState{happened: true, name: bad, bundle: idx, atMs: atMs, trigger: trigger, doneMs: -1}
	for i := range e.ran {
		if e.ran[i]&(1<<idx) != 0 {
			t.rb.exposed++
		}
	}
	e.checkRollback()
}

// onChange follows devices moving on or off the bad bundle.
func (t *timelineState) onChange(e *engine, before, after uint8, newly bool) {
	if !t.rb.happened || t.rb.doneMs >= 0 {
		return
	}
	if after == t.rb.bundle && newly {
		t.rb.exposed++
	}
	if before == t.rb.bundle || after == t.rb.bundle {
		e.checkRollback()
	}
}

func (e *engine) runningOn(b uint8) int64 {
	var n int64
	for c := range e.running {
		n += e.running[c][b]
	}
	return n
}

func (e *engine) checkRollback() {
	rb := &e.timeline.rb
	if rb.doneMs >= 0 || rb.exposed == 0 {
		return
	}
	if float64(e.runningOn(rb.bundle)) <= 0.05*float64(rb.exposed) {
		rb.doneMs = max(e.curAt, rb.atMs)
	}
}

// collectTimeline reads the guard history one last time.
func (e *engine) collectTimeline(ctx context.Context) {
	t := &e.timeline
	if e.cfg.Admin == nil || len(t.guards) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	h, err := pollGuards(cctx, e.cfg.Admin, e.sc.App.ID, t.guards)
	if err != nil {
		e.warnings = append(e.warnings, "reading the guard history: "+err.Error())
	}
	e.guardHistory(h)
}
