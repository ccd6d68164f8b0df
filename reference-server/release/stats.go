package release

import (
	"strings"

	"github.com/otasim/otasim/protocol"
)

// Count kinds of a bundle besides its failure actions.
const (
	CountInstall   = "install"
	CountUninstall = "uninstall"
)

// Event is what DecideEvent needs of one /stats event, as the backend reads
// it (version_name after the builtin rule of NormalizeBuild's caller).
type Event struct {
	VersionName, OldVersionName, Action string
	// Plugin is the plugin_version as sent (it may be empty or no version).
	Plugin             string
	IsProd, IsEmulator bool
}

// Count adds one to a bundle's counter of a kind: CountInstall,
// CountUninstall or a failure action.
type Count struct {
	Bundle, Kind string
}

// EventOutcome is what the backend does with one event.
type EventOutcome struct {
	// Code is empty when the event is accepted, else the error of its reply
	// (version_not_found).
	Code, Message string
	// Crash: the backend throws on this event (an event without an action
	// about a known bundle): a single event gets a 500, an event of a batch
	// a processing_error.
	Crash bool
	// Store: the event is recorded.
	Store  bool
	Counts []Count
}

// EventBundle is the bundle an event's version name is about: a failure
// reported as "1.0.0:main.js" is about 1.0.0 (plugins/stats.ts:158-161).
func EventBundle(versionName string) string {
	if i := strings.IndexByte(versionName, ':'); i > 0 {
		return versionName[:i]
	}
	return versionName
}

// DecideEvent applies the backend's rules to one event of an app
// (plugins/stats.ts:84-201): a download_fail from a plugin older than
// 7.17.0 (6.14.25 on v6) is acknowledged and not recorded; an event about a
// bundle the app does not have (or deleted) is refused with
// version_not_found; for prod builds on real devices, set counts an install
// of the bundle and an uninstall of old_version_name when that names
// another bundle the app has or had, and every *_fail action counts a
// failure of the bundle.
func DecideEvent(app *App, e Event) EventOutcome {
	if e.Action == protocol.ActionDownloadFail {
		p, ok := ParsePlugin(e.Plugin)
		if !ok || !p.Has(CountsDownloadFail) {
			return EventOutcome{}
		}
	}
	bundle := EventBundle(e.VersionName)
	if !app.Live(bundle) {
		return EventOutcome{Code: protocol.CodeVersionNotFound, Message: "Version not found"}
	}
	out := EventOutcome{Store: true}
	counted := e.IsProd && !e.IsEmulator
	switch {
	case e.Action == protocol.ActionSet:
		if !counted {
			break
		}
		out.Counts = append(out.Counts, Count{bundle, CountInstall})
		if old := e.OldVersionName; old != "" && old != bundle && (Internal(old) || app.Bundles[old] != nil) {
			out.Counts = append(out.Counts, Count{old, CountUninstall})
		}
	case e.Action == "":
		return EventOutcome{Crash: true}
	case protocol.IsFailure(e.Action) && counted:
		out.Counts = append(out.Counts, Count{bundle, e.Action})
	}
	return out
}
