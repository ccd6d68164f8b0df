package device

// Platform is what differs between the plugin's Android and iOS code, as
// data read by the one machine. References: A = Android, I = iOS (see the
// package comment).
type Platform struct {
	Name string
	// AppReadyTimeout is how long a bundle that has not proved itself has
	// to call notifyAppReady: A max(appReadyTimeout, 30 s) for a pending
	// bundle (A/CapacitorUpdaterPlugin.java:1040, :134); I appReadyTimeout
	// (I/CapacitorUpdaterPlugin.swift:3344).
	AppReadyTimeout int64
	// TimeoutOnce: app_launch_timeout is reported at most once per process
	// and not after app_launch_ready (A/CapacitorUpdaterPlugin.java:1775);
	// iOS reports it at every revert (I/CapacitorUpdaterPlugin.swift:3243).
	TimeoutOnce bool
	// ZipPosted: download_zip_start and download_zip_complete are posted
	// at once as single objects outside the batch (A/DownloadService.java
	// :605, :717, sendStatsAsync); iOS queues them (I/CapgoUpdater.swift
	// :1964, :2077).
	ZipPosted bool
	// StartMarks are download_NN sent when a download starts (I/
	// CapgoUpdater.swift:1968: download_0); ByteMarks as the bytes arrive,
	// each once the share received reaches it (A/DownloadService.java:362
	// clamps 10..70, :695); AfterMarks once the bytes are in, through the
	// unzip (A/CapgoUpdater.java:330-366 75..90 and :879 91; I/
	// CapgoUpdater.swift:2010 70, :843 75..81, :2070 90). A bundle of many
	// files passes 80 while it unzips.
	StartMarks, ByteMarks, AfterMarks []uint8
	// HighWater: a download_NN is sent only above the highest one already
	// sent in the process, which download_complete sets to 100 (A/
	// CapacitorUpdaterPlugin.java:2494, lastNotifiedStatPercent is never
	// reset): after the first completed download of a process no progress
	// is reported.
	HighWater bool
	// ChecksumAfterUnzip: the checksum is compared after the unzip and
	// download_complete, checksum_fail charged to the new bundle (I/
	// CapacitorUpdaterPlugin.swift:4410); Android compares before the
	// unzip and charges checksum_fail and download_fail to the running
	// bundle, then finish_download_fail to the new one (A/CapgoUpdater.java
	// :853, :872, :711).
	ChecksumAfterUnzip bool
	// DownloadFailOnNew: a failed transfer reports download_fail for the
	// bundle being fetched (A/CapgoUpdater.java:753); iOS for the running
	// bundle (I/CapacitorUpdaterPlugin.swift:4495, the catch).
	DownloadFailOnNew bool
	// BusyBlocksCheck: no check while a check or download runs
	// (I/CapacitorUpdaterPlugin.swift:4578 downloadInProgress); Android's
	// guard (A/CapacitorUpdaterPlugin.java:4726) holds only while the
	// thread that enqueues the request lives.
	BusyBlocksCheck bool
	// PeriodicInBackground: the periodic check timer fires while the
	// process lives in the background (A/CapacitorUpdaterPlugin.java:4391,
	// a java.util.Timer); iOS's Timer runs on the main run loop, which a
	// suspended app does not turn (I/CapacitorUpdaterPlugin.swift:4596).
	PeriodicInBackground bool
	// RecheckOnError: a periodic check goes on to a full check whenever
	// the reply's version differs from the running bundle's, which an
	// error reply (version "") always does (I/CapacitorUpdaterPlugin.swift
	// :4623); Android goes on only for a reply with a version, and always
	// then, since it compares with the bundle's JSON (A/
	// CapacitorUpdaterPlugin.java:4439).
	RecheckOnError bool
	// DownloadDeadline bounds a whole download (ms, 0 none): iOS waits
	// max(responseTimeout+5 s, 10 s) for it (I/CapgoUpdater.swift:260);
	// Android's HttpURLConnection has only a 60 s read timeout
	// (A/DownloadService.java:631).
	DownloadDeadline int64
	// APITimeout bounds an API call (ms; 0: the app's responseTimeout,
	// which iOS sets as the request's timeoutInterval,
	// I/CapgoUpdater.swift:210). Android's calls go through a shared
	// OkHttpClient built without timeouts (A/DownloadService.java:96), so
	// OkHttp's defaults of 10 s bound them; responseTimeout is read
	// (A/CapacitorUpdaterPlugin.java:884) but no Android request uses it.
	APITimeout int64

	// Encrypted bundles (encryption v2) and per-file (manifest) downloads:
	// see crypt.go and manifest.go.

	// ChecksumRequired: an app with a public key refuses a zip that comes
	// without a checksum, with checksum_required, before decrypting
	// (A/CapgoUpdater.java:835); iOS does so only for the app's own
	// download() calls (I/CapacitorUpdaterPlugin.swift:1585).
	ChecksumRequired bool
	// DecryptBeforeUnzip: the zip is decrypted as soon as its bytes are in,
	// after download_70, and a failure ends the attempt there (I/
	// CapgoUpdater.swift:2036); Android decrypts in finishDownload
	// (A/CapgoUpdater.java:842), after download_zip_complete.
	DecryptBeforeUnzip bool
	// ChecksumMustOpen: with a public key, every offer's checksum must
	// open with it, a plain bundle's and a manifest's included; one that
	// does not fails the update after the download and the bundle stays
	// on the device, so the next offer fails without a download
	// (I/CapacitorUpdaterPlugin.swift:4405, :4362); Android opens the
	// checksum only of a zip with a session key (A/CapgoUpdater.java:841).
	ChecksumMustOpen bool
	// ManifestKeepsFailed: a failed per-file download leaves the bundle in
	// error on the device and it is never fetched again (I/CapgoUpdater.
	// swift:1385 its folder is made first, :1554 status error; I/
	// CapacitorUpdaterPlugin.swift:4362, :4390); Android starts over at the
	// next offer (a new bundle id, A/CapgoUpdater.java:1393).
	ManifestKeepsFailed bool
	// ManifestStopsAtFailure: after a file fails no other file is started
	// (I/CapgoUpdater.swift:1495); Android fetches every file
	// (A/DownloadService.java:525).
	ManifestStopsAtFailure bool
	// ManifestCountMarks: per-file progress is (p*60/100+10) for p the
	// share of files done, sent each time it is a multiple of ten, repeats
	// included (I/CapgoUpdater.swift:1525, :416; I/CapacitorUpdaterPlugin.
	// swift:1241); Android clamps p to 10..70 under the high-water mark
	// (A/DownloadService.java:550, :362) and adds 70 and 90 through
	// finishDownload (A/CapgoUpdater.java:828, :884).
	ManifestCountMarks bool
	// ManifestConcurrency is how many files are fetched at once: twice the
	// cores, 8 to 64 (A/DownloadService.java:112, I/CapgoUpdater.swift:31),
	// 16 for the 8-core phones of today.
	ManifestConcurrency int
}

// Android is the plugin's Android code.
func Android() Platform {
	return Platform{
		Name: "android", AppReadyTimeout: 30_000, TimeoutOnce: true, ZipPosted: true,
		ByteMarks:  []uint8{10, 20, 30, 40, 50, 60, 70},
		AfterMarks: []uint8{80, 90}, HighWater: true, DownloadFailOnNew: true,
		PeriodicInBackground: true, ChecksumRequired: true, ManifestConcurrency: 16,
		APITimeout: 10_000,
	}
}

// IOS is the plugin's iOS code.
func IOS() Platform {
	return Platform{
		Name: "ios", AppReadyTimeout: AppReadyTimeout,
		StartMarks: []uint8{0}, AfterMarks: []uint8{70, 80, 90},
		ChecksumAfterUnzip: true, BusyBlocksCheck: true, RecheckOnError: true,
		DownloadDeadline: 25_000, DecryptBeforeUnzip: true, ChecksumMustOpen: true,
		ManifestKeepsFailed: true, ManifestStopsAtFailure: true, ManifestCountMarks: true,
		ManifestConcurrency: 16,
	}
}
