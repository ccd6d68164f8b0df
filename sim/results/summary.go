package results

// SchemaSummary identifies the version of summary.json. Version 2 judges
// latency on successful replies only, counts every request by outcome,
// and carries the verdict; Read and UnmarshalSummary still read version 1.
const SchemaSummary = "otasim.summary/v2"

// schemaSummaryV1 is the version before failures were kept apart.
const schemaSummaryV1 = "otasim.summary/v1"

// Summary is summary.json: what a run measured, judged against its targets.
// Times named *_s are virtual seconds since the start of the run unless
// noted; latencies named *_ms are real milliseconds.
type Summary struct {
	Schema   string `json:"schema"`
	RunID    string `json:"run_id"`
	Scenario string `json:"scenario"`
	// ScenarioSource is where the scenario was read from (path or
	// "embedded:NAME.yaml").
	ScenarioSource string `json:"scenario_source,omitempty"`
	Seed           uint64 `json:"seed"`
	// Shard is "I/N" when the run simulated shard I of N of the fleet
	// (Devices and the cohorts' counts are then the shard's); Shards, in
	// a run merged from its shards, says what each shard did.
	Shard   string        `json:"shard,omitempty"`
	Shards  []ShardResult `json:"shards,omitempty"`
	Devices int           `json:"devices"`
	Speed   float64       `json:"speed"`
	// VirtualSeconds is how much virtual time the run covered (less than
	// the scenario's duration when interrupted).
	VirtualSeconds float64 `json:"virtual_seconds"`
	WallSeconds    float64 `json:"wall_seconds"`
	Interrupted    bool    `json:"interrupted"`
	// StartedAt is the wall-clock start (RFC 3339), VirtualEpoch the
	// virtual time at the start of the run.
	StartedAt    string `json:"started_at"`
	VirtualEpoch string `json:"virtual_epoch"`

	Server  ServerInfo     `json:"server"`
	Targets []TargetResult `json:"targets"`
	// Verdict is the run's whole judgement (targets, harness, target
	// lost, baseline); VerdictReasons say why it is not PASS, each with
	// its measured value and limit.
	Verdict        Verdict  `json:"verdict"`
	VerdictReasons []string `json:"verdict_reasons"`
	// Pass is Verdict == PASS.
	Pass bool `json:"pass"`
	// AbortedBy names the target whose abort_on_fail stopped the run
	// early.
	AbortedBy string `json:"aborted_by,omitempty"`
	// TargetLost lists the spans in which the target answered nothing.
	TargetLost []Outage `json:"target_lost"`
	// Baseline is the comparison with a stored run (--baseline).
	Baseline *BaselineCheck `json:"baseline,omitempty"`

	Adoption    Adoption            `json:"adoption"`
	SuccessRate SuccessRate         `json:"success_rate"`
	CDN         CDN                 `json:"cdn"`
	API         map[string]Endpoint `json:"api"`
	// InstallTime is, per cohort (and "all"), the time from a device's
	// first offer of a bundle to the device running it, in virtual
	// seconds.
	InstallTime map[string]Quantiles `json:"install_time"`
	// Engagement is per cohort, then per bundle ("builtin" included).
	Engagement map[string]map[string]Engagement `json:"engagement"`
	Rollback   Rollback                         `json:"rollback"`
	Harness    Harness                          `json:"harness"`

	// Experiments compares each arm of a split segment with its first
	// arm (the control).
	Experiments []Experiment `json:"experiments"`

	Cohorts  []CohortInfo   `json:"cohorts"`
	Bundles  []BundleInfo   `json:"bundles"`
	Timeline []ActionResult `json:"timeline"`
	// SkippedActions are timeline actions the target could not carry out
	// (no admin API, or an action it does not support).
	SkippedActions []ActionResult `json:"skipped_actions"`
	// ServerCounts are the per-bundle counts the server reports at the end
	// (when it has an admin API), beside the counts the fleet delivered.
	ServerCounts map[string]BundleCounts `json:"server_counts,omitempty"`
	FleetCounts  map[string]BundleCounts `json:"fleet_counts"`
	Warnings     []string                `json:"warnings"`
	// Load is set when the scenario ran a load profile instead of the
	// rollout simulation.
	Load *Load `json:"load,omitempty"`
}

// ServerInfo names the server the devices talked to.
type ServerInfo struct {
	// Kind is "in-process" (the reference server started by the run) or
	// "external".
	Kind string `json:"kind"`
	// Transport is how the devices reached it: "tcp" (real sockets,
	// always for an external server) or "memory" (an in-memory listener
	// in front of the in-process server: the same HTTP bytes through the
	// same handlers, without the kernel's loopback).
	Transport  string `json:"transport"`
	UpdatesURL string `json:"updates_url"`
	StatsURL   string `json:"stats_url"`
	ChannelURL string `json:"channel_url"`
	AdminURL   string `json:"admin_url,omitempty"`
}

// TargetResult is one check. Comparison is "<=" (the value must not
// exceed the threshold) or ">=". Pass says whether the value met the
// threshold; Status is the judgement (a value that missed it while the
// generator fell behind is inconclusive, a target without a value may be
// inconclusive or not applicable).
type TargetResult struct {
	Name       string  `json:"name"`
	Segment    string  `json:"segment,omitempty"`
	Metric     string  `json:"metric"`
	Threshold  float64 `json:"threshold"`
	Comparison string  `json:"comparison"`
	// Value is null when the metric has no value (e.g. adoption never
	// reached the share): the target then fails.
	Value  *float64     `json:"value"`
	Unit   string       `json:"unit"`
	Pass   bool         `json:"pass"`
	Status TargetStatus `json:"status"`
	Note   string       `json:"note,omitempty"`
}

// Adoption is the share of active devices (a session in the last 24
// virtual hours) running the judged bundle.
type Adoption struct {
	Bundle string `json:"bundle"`
	// FirstActionS is when the timeline first released or rolled out the
	// bundle; the TimeTo* values count from it. Null when never acted.
	FirstActionS *float64 `json:"first_action_s"`
	TimeTo50S    *float64 `json:"time_to_50_s"`
	TimeTo90S    *float64 `json:"time_to_90_s"`
	TimeTo95S    *float64 `json:"time_to_95_s"`
	FinalShare   float64  `json:"final_share"`
	// ActiveDevices at the end of the run.
	ActiveDevices int                       `json:"active_devices"`
	BySegment     map[string]CohortAdoption `json:"by_segment"`
}

// CohortAdoption is Adoption for one cohort (segment or experiment arm).
type CohortAdoption struct {
	TimeTo50S     *float64 `json:"time_to_50_s"`
	TimeTo90S     *float64 `json:"time_to_90_s"`
	TimeTo95S     *float64 `json:"time_to_95_s"`
	FinalShare    float64  `json:"final_share"`
	ActiveDevices int      `json:"active_devices"`
}

// SuccessRate is successful installs (the bundle started and called
// notifyAppReady) over attempts (devices that started a download of a
// bundle). Attempts still in progress at the end are left out of both and
// counted in InProgress.
type SuccessRate struct {
	Overall    float64          `json:"overall"`
	Attempts   int64            `json:"attempts"`
	Successes  int64            `json:"successes"`
	InProgress int64            `json:"in_progress"`
	Failures   map[string]int64 `json:"failures"`
	// Interval is the 95% Wilson score interval of Overall.
	Interval  [2]float64              `json:"interval"`
	BySegment map[string]SuccessCount `json:"by_segment"`
	ByBundle  map[string]SuccessCount `json:"by_bundle"`
}

// SuccessCount is SuccessRate for one cohort or bundle.
type SuccessCount struct {
	Rate       float64          `json:"rate"`
	Attempts   int64            `json:"attempts"`
	Successes  int64            `json:"successes"`
	InProgress int64            `json:"in_progress"`
	Failures   map[string]int64 `json:"failures"`
	Interval   [2]float64       `json:"interval"`
}

// Engagement is what users did with a bundle.
type Engagement struct {
	Sessions       int64   `json:"sessions"`
	MeanSessionS   float64 `json:"mean_session_s"`
	JSErrors       int64   `json:"js_errors"`
	ErrorRate      float64 `json:"error_rate"`
	FailedLaunches int64   `json:"failed_launches"`
}

// Rollback is how the fleet came back from a bad bundle: from the rollback
// (timeline action or guard trip) to 95% of the devices exposed to the bad
// bundle running another one.
type Rollback struct {
	Happened bool `json:"happened"`
	// Trigger is "timeline", "guard_pause", "guard_rollback" or
	// "guard_notify".
	Trigger string  `json:"trigger,omitempty"`
	Bundle  string  `json:"bundle,omitempty"`
	AtS     float64 `json:"at_s,omitempty"`
	// Exposed is the number of devices that ran the bad bundle.
	Exposed int64 `json:"exposed"`
	// FailedLaunches of the bad bundle (app_launch_timeout).
	FailedLaunches int64 `json:"failed_launches"`
	// TimeTo95BackS is null when 95% was not reached by the end.
	TimeTo95BackS  *float64 `json:"time_to_95_back_s"`
	FinalBackShare float64  `json:"final_back_share"`
	// GuardTrips lists every guard trip the server recorded.
	GuardTrips []ActionResult `json:"guard_trips,omitempty"`
}

// Harness is the health of the load generator itself.
type Harness struct {
	// ScheduleLagP99Ms is the p99 of (actual send - intended send).
	ScheduleLagP99Ms float64 `json:"schedule_lag_p99_ms"`
	ScheduleLagMaxMs float64 `json:"schedule_lag_max_ms"`
	// LateEvents were handled more than LateBoundMs after their time.
	LateEvents  int64   `json:"late_events"`
	LateBoundMs float64 `json:"late_bound_ms"`
	// DroppedEvents were never handled (run ended or was interrupted).
	DroppedEvents int64 `json:"dropped_events"`
	Events        int64 `json:"events"`
	// Requests ended: API calls and bundle downloads.
	Requests     int64 `json:"requests"`
	PeakInFlight int64 `json:"peak_in_flight"`
	Workers      int   `json:"workers"`
	Connections  int   `json:"connections"`
	// CPUSeconds is the process's CPU time (user and system);
	// CPUUsPerRequest the same in µs per request: everything the process
	// did, devices, engine, client, bundle downloads and an in-process
	// server with its SQLite writer, over the requests.
	CPUSeconds      float64 `json:"cpu_seconds"`
	CPUUsPerRequest float64 `json:"cpu_us_per_request"`
	// FellBehind is true when the generator could not keep to the
	// schedule (lag p99 over the bound, or late events): the measured
	// latencies then include the generator's own delay. Reasons give
	// each limit that tripped with its measured value.
	FellBehind bool     `json:"fell_behind"`
	Reasons    []string `json:"fell_behind_reasons,omitempty"`
	// Abandoned requests were still in flight when the drain at the end
	// gave up on them: their outcome is unknown, and they are in no
	// count.
	Abandoned int64 `json:"abandoned_requests"`
	// PushSockets opened during sessions, PushMessages received that
	// made a device check.
	PushSockets  int64 `json:"push_sockets"`
	PushMessages int64 `json:"push_messages"`
	// MemoryBytes is the heap in use at the end.
	MemoryBytes uint64 `json:"memory_bytes"`
	// PeakRSSBytes is the peak resident set of the whole process (an
	// in-process server included), from the operating system.
	PeakRSSBytes uint64 `json:"peak_rss_bytes"`
	// DeviceStateBytes is the memory the engine holds for every device
	// whatever it does (state, derived attributes, bundles run, its slot
	// in the event heap); BytesPerDevice the same per device. Side state
	// held only while a request is in flight is not in it.
	DeviceStateBytes int64   `json:"device_state_bytes"`
	BytesPerDevice   float64 `json:"bytes_per_device"`
	// RequestsPerS is the API calls over the run's wall time.
	RequestsPerS float64 `json:"requests_per_s"`
}

// CohortInfo describes a cohort: a segment, or an arm of a segment's
// experiment ("segment/arm").
type CohortInfo struct {
	Name    string `json:"name"`
	Segment string `json:"segment"`
	Arm     string `json:"arm,omitempty"`
	Devices int    `json:"devices"`
	// Joining devices first launch during the run.
	Joining int `json:"joining"`
	// SessionsPerDay is the mean number of app launches a day;
	// MaintenanceWindow the local window ("02:00-04:00") outside which
	// updates are not applied, empty when there is none.
	SessionsPerDay    float64 `json:"sessions_per_day,omitempty"`
	MaintenanceWindow string  `json:"maintenance_window,omitempty"`
}

// BundleInfo describes a bundle of the scenario.
type BundleInfo struct {
	Version string `json:"version"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256,omitempty"`
}

// ActionResult is a timeline action (or a guard trip) and its outcome.
type ActionResult struct {
	AtS    float64 `json:"at_s"`
	Action string  `json:"action"`
	Detail string  `json:"detail"`
	// Outcome is "ok", "skipped" or "error". A step is skipped when the
	// target cannot carry it out, or when it is moot (e.g. a rollback of
	// a rollout the guard already rolled back).
	Outcome string `json:"outcome"`
	// Error says why the step failed or was skipped.
	Error string `json:"error,omitempty"`
}

// BundleCounts are installs and failures of one bundle as the server
// accounts them: `set` counts an install, every *_fail a failure.
type BundleCounts struct {
	Installs int64            `json:"installs"`
	Failures map[string]int64 `json:"failures"`
}

// Experiment is a segment split in arms: every other arm against the
// first (the control).
type Experiment struct {
	Segment string          `json:"segment"`
	Control string          `json:"control"`
	Arms    []ArmComparison `json:"arms"`
}

// ArmComparison is one arm against the control.
type ArmComparison struct {
	Arm string `json:"arm"`
	// Adoption compares the final share of active devices running the
	// judged bundle; SuccessRate the update success rate.
	Adoption    Difference `json:"adoption"`
	SuccessRate Difference `json:"success_rate"`
	// TimeTo50S of the judged bundle, control then arm (null: not
	// reached).
	TimeTo50S [2]*float64 `json:"time_to_50_s"`
	// BytesPerDownload compares the bytes of a completed bundle download;
	// InstallTimeS the install time (virtual seconds).
	BytesPerDownload MeanDifference `json:"bytes_per_download"`
	InstallTimeS     MeanDifference `json:"install_time_s"`
}

// Difference is arm minus control for a proportion, with its 95% interval
// (Newcombe's hybrid score interval from the two Wilson intervals).
type Difference struct {
	Control  float64    `json:"control"`
	Arm      float64    `json:"arm"`
	Diff     float64    `json:"diff"`
	Interval [2]float64 `json:"interval"`
	ControlN int64      `json:"control_n"`
	ArmN     int64      `json:"arm_n"`
}
