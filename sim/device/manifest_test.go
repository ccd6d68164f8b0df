package device

import (
	"slices"
	"testing"
)

func updManifest(b uint8) step {
	return step{do: "check", chk: CheckResult{Status: 200, Update: true, Bundle: b, Manifest: true}}
}

func gotFiles(b uint8, mr ManifestResult) step {
	return step{do: "dl", dl: DownloadResult{Bundle: b, Share: 1, OK: true, ChecksumOK: true, Manifest: &mr}}
}

func gotZip(b uint8, c Crypt, sumOK bool) step {
	return step{do: "dl", dl: DownloadResult{Bundle: b, Share: 1, OK: true, ChecksumOK: sumOK, Crypt: c}}
}

// Per-file downloads and encrypted bundles, each step beside the plugin
// code that sends it (A/ and I/, see the package comment).
func TestManifestAndEncryption(t *testing.T) {
	android, ios := Android(), IOS()
	ten := func(done uint32, fails ...FileFail) ManifestResult {
		return ManifestResult{Total: 10, Done: done, Fails: fails}
	}
	tests := []struct {
		name   string
		p      Platform
		steps  []step
		want   []string
		expect func(t *testing.T, s *State)
	}{
		{
			// A/DownloadService.java:441 posted outside the batch.
			name: "android manifest start", p: android, steps: []step{fg, updManifest(1)},
			want: []string{"post download_manifest_start b1", "send download b1"},
		},
		{
			// I/CapgoUpdater.swift:1392 queued, :1395 download_0.
			name: "ios manifest start", p: ios, steps: []step{fg, updManifest(1)},
			want: []string{"stat download_manifest_start b1", "stat download_0 b1", "send download b1"},
		},
		{
			// A/DownloadService.java:550-552 progress by files done
			// (clamped 10..70), :588 complete; A/CapgoUpdater.java:828 71,
			// :884 91, :893 100, then set_next.
			name: "android manifest complete", p: android, steps: []step{fg, updManifest(1), gotFiles(1, ten(10))},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_manifest_complete b1",
				"stat download_90 b1", "stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			// I/CapgoUpdater.swift:1526 (p*60/100+10 when a multiple of
			// ten, I/CapacitorUpdaterPlugin.swift:1241), :1564, :1566.
			name: "ios manifest complete", p: ios, steps: []step{fg, updManifest(1), gotFiles(1, ten(10))},
			// 10 files: 5 done give 50*60/100+10 = 40, 10 give 70.
			want: []string{"stat download_40 b1", "stat download_70 b1", "stat download_manifest_complete b1",
				"stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			// A/DownloadService.java:867 and :555 for a 404; :910 and
			// :555 for a bad checksum; the worker fails (A/CapgoUpdater.
			// java:753), and the next offer downloads it again.
			name: "android manifest file failures", p: android,
			steps: []step{fg, updManifest(1), gotFiles(1, ten(8, FileFail{3, FailStatus}, FileFail{7, FailChecksum}))},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1",
				"post download_manifest_file_fail b1:f3.base", "post download_manifest_file_fail b1:f3",
				"post download_manifest_checksum_fail b1:f7.base", "post download_manifest_file_fail b1:f7",
				"stat download_fail b1", "note failure b1 download_manifest_file_fail"},
			expect: func(t *testing.T, s *State) {
				if s.IsFailed(1) {
					t.Error("android keeps no failed manifest bundle")
				}
			},
		},
		{
			// A/DownloadService.java:894 a file that does not decrypt
			// throws into :555 only.
			name: "android manifest decrypt failure", p: android,
			steps: []step{fg, updManifest(1), gotFiles(1, ManifestResult{Total: 1, Fails: []FileFail{{0, FailDecrypt}}})},
			want:  []string{"post download_manifest_file_fail b1:f0", "stat download_fail b1", "note failure b1 download_manifest_file_fail"},
		},
		{
			// I/CapgoUpdater.swift:1711 checksum, :1682 decrypt_fail of
			// the version, :1622 network; :1554 the bundle stays in error;
			// the catch at I/CapacitorUpdaterPlugin.swift:4494.
			name: "ios manifest failures keep the bundle in error", p: ios,
			steps: []step{fg, updManifest(1), gotFiles(1, ten(0, FileFail{0, FailChecksum}, FileFail{1, FailDecrypt}, FileFail{2, FailNetwork}))},
			want: []string{"stat download_manifest_checksum_fail b1:f0.target", "stat decrypt_fail b1",
				"stat download_manifest_file_fail b1:f2", "stat download_fail builtin", "note failure b1 download_manifest_file_fail"},
			expect: func(t *testing.T, s *State) {
				if !s.IsFailed(1) {
					t.Error("ios keeps the failed manifest bundle in error")
				}
			},
		},
		{
			// I/CapacitorUpdaterPlugin.swift:4390: found in error by name,
			// refused without a download.
			name: "ios manifest bundle in error is refused", p: ios,
			steps: []step{fg, updManifest(1), gotFiles(1, ten(0, FileFail{0, FailStatus})), updManifest(1)},
			want:  []string{"stat download_fail builtin"},
		},
		{
			// A/DownloadService.java:471, :477: hashes missing or not
			// opening: no event, the download fails.
			name: "unusable hashes fail silently", p: android,
			steps: []step{fg, updManifest(1), gotFiles(1, ManifestResult{Total: 2, Done: 0, Unusable: 2})},
			want:  []string{"stat download_fail b1", "note failure b1 download_fail"},
		},
		{
			// A/CapgoUpdater.java:835 checksum_required, :862 delete,
			// :872 download_fail, :711 finish_download_fail.
			name: "android encrypted zip without checksum", p: android,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Key: true, Session: true, NoChecksum: true}, false)},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_zip_complete b1",
				"stat checksum_required builtin", "stat delete b1", "stat download_fail builtin", "stat finish_download_fail b1",
				"note failure b1 checksum_required"},
		},
		{
			// A/CapgoUpdater.java:842 decryptFile throws: no checksum_fail.
			name: "android wrong session key", p: android,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Key: true, Session: true, DecryptFailed: true}, false)},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_zip_complete b1",
				"stat delete b1", "stat download_fail builtin", "stat finish_download_fail b1", "note failure b1 download_fail"},
		},
		{
			// A/CapgoUpdater.java:841: a plain bundle's checksum is
			// compared as it is, key or not.
			name: "android plain bundle on an app with a key installs", p: android,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Key: true, ChecksumUnopened: true}, true)},
			want: []string{"stat download_10 b1", "stat download_20 b1", "stat download_30 b1", "stat download_40 b1",
				"stat download_50 b1", "stat download_60 b1", "stat download_70 b1", "post download_zip_complete b1",
				"stat download_80 b1", "stat download_90 b1", "stat download_complete b1", "stat set_next b1 old builtin"},
		},
		{
			// I/CapgoUpdater.swift:2010 download_70, :2036 decrypt throws;
			// I/CapacitorUpdaterPlugin.swift:4494 download_fail.
			name: "ios wrong session key", p: ios,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Key: true, Session: true, DecryptFailed: true}, false)},
			want:  []string{"stat download_70 b1", "stat download_fail builtin", "note failure b1 download_fail"},
			expect: func(t *testing.T, s *State) {
				if s.IsFailed(1) {
					t.Error("a zip that did not decrypt leaves no bundle folder: tried again")
				}
			},
		},
		{
			// I/CapgoUpdater.swift:856 unzip_fail: still encrypted.
			name: "ios encrypted bundle on an app without a key", p: ios,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Session: true}, false)},
			want:  []string{"stat download_70 b1", "stat unzip_fail builtin", "stat download_fail builtin", "note failure b1 unzip_fail"},
		},
		{
			// I/CapacitorUpdaterPlugin.swift:4405 decryptChecksum of a
			// missing checksum throws after the download; :4362 the bundle
			// is found again next time.
			name: "ios missing checksum with a key", p: ios,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Key: true, Session: true, NoChecksum: true}, false)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat download_fail builtin", "note failure b1 download_fail"},
			expect: func(t *testing.T, s *State) {
				if !s.IsFailed(1) || s.Next != None {
					t.Errorf("failed %v next %d", s.IsFailed(1), s.Next)
				}
			},
		},
		{
			name: "ios encrypted zip installs", p: ios,
			steps: []step{fg, upd(1), gotZip(1, Crypt{Key: true, Session: true}, true)},
			want: []string{"stat download_70 b1", "stat download_80 b1", "stat download_90 b1", "stat download_zip_complete b1",
				"stat download_complete b1", "stat set_next b1 old builtin"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{p: tt.p}
			s := NewState(Never)
			run(t, e, &s, tt.steps)
			var got []string
			for _, l := range e.log {
				if l != "after 1500 ready" {
					got = append(got, l)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("log\n  %q\nwant\n  %q", got, tt.want)
			}
			if tt.expect != nil {
				tt.expect(t, &s)
			}
		})
	}

}
