package store

// migrations is the ordered schema history. Each entry is applied once, in
// its own transaction, and recorded in schema_migrations; never edit an
// applied entry, append a new one.
var migrations = [...]string{
	// 1: release state, stats and devices.
	`CREATE TABLE apps (
		app_id     TEXT PRIMARY KEY,
		created_at INTEGER NOT NULL
	);
	CREATE TABLE bundles (
		app_id     TEXT NOT NULL REFERENCES apps(app_id),
		name       TEXT NOT NULL,
		size       INTEGER NOT NULL,
		sha256     TEXT NOT NULL,
		min_native TEXT NOT NULL DEFAULT '',
		path       TEXT NOT NULL DEFAULT '',
		created_at INTEGER NOT NULL,
		PRIMARY KEY (app_id, name)
	);
	CREATE TABLE channels (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		app_id          TEXT NOT NULL REFERENCES apps(app_id),
		name            TEXT NOT NULL,
		policy          TEXT NOT NULL,
		bundle          TEXT NOT NULL DEFAULT '',
		previous_bundle TEXT NOT NULL DEFAULT '',
		guard           TEXT NOT NULL,
		last_trip_at    INTEGER NOT NULL DEFAULT 0,
		created_at      INTEGER NOT NULL,
		UNIQUE (app_id, name)
	);
	CREATE TABLE rollouts (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		channel_id INTEGER NOT NULL REFERENCES channels(id),
		bundle     TEXT NOT NULL,
		percent_bp INTEGER NOT NULL,
		state      TEXT NOT NULL,
		started_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX rollouts_channel ON rollouts(channel_id, id);
	CREATE TABLE history (
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		channel_id INTEGER NOT NULL REFERENCES channels(id),
		at         INTEGER NOT NULL,
		event      TEXT NOT NULL,
		bundle     TEXT NOT NULL,
		percent_bp INTEGER NOT NULL,
		reason     TEXT NOT NULL
	);
	CREATE INDEX history_channel ON history(channel_id, id);
	CREATE TABLE overrides (
		app_id     TEXT NOT NULL REFERENCES apps(app_id),
		device_id  TEXT NOT NULL,
		channel_id INTEGER NOT NULL REFERENCES channels(id),
		PRIMARY KEY (app_id, device_id)
	);
	CREATE TABLE devices (
		app_id        TEXT NOT NULL,
		device_id     TEXT NOT NULL,
		platform      TEXT NOT NULL,
		version_name  TEXT NOT NULL,
		version_build TEXT NOT NULL,
		last_seen     INTEGER NOT NULL,
		PRIMARY KEY (app_id, device_id)
	);
	CREATE TABLE stats_events (
		id               INTEGER PRIMARY KEY AUTOINCREMENT,
		app_id           TEXT NOT NULL,
		device_id        TEXT NOT NULL,
		action           TEXT NOT NULL,
		version_name     TEXT NOT NULL,
		old_version_name TEXT NOT NULL,
		platform         TEXT NOT NULL,
		is_prod          INTEGER NOT NULL,
		is_emulator      INTEGER NOT NULL,
		timestamp        INTEGER NOT NULL,
		received_at      INTEGER NOT NULL,
		metadata         TEXT NOT NULL DEFAULT ''
	);
	CREATE INDEX stats_events_received ON stats_events(app_id, received_at);
	CREATE TABLE bundle_counts (
		app_id TEXT NOT NULL,
		bundle TEXT NOT NULL,
		kind   TEXT NOT NULL,
		n      INTEGER NOT NULL,
		PRIMARY KEY (app_id, bundle, kind)
	);`,
	// 2: the native version of the device behind each event, which names
	// the bundle a "builtin" version_name stands for.
	`ALTER TABLE stats_events ADD COLUMN version_build TEXT NOT NULL DEFAULT ''`,
	// 3: what the backend knows of a bundle besides a zip (an external URL,
	// a link and a comment, the key it was encrypted for), soft deletion,
	// and the app's choice to expose bundle metadata.
	`ALTER TABLE bundles ADD COLUMN external_url TEXT NOT NULL DEFAULT '';
	ALTER TABLE bundles ADD COLUMN link TEXT NOT NULL DEFAULT '';
	ALTER TABLE bundles ADD COLUMN comment TEXT NOT NULL DEFAULT '';
	ALTER TABLE bundles ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
	ALTER TABLE bundles ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE apps ADD COLUMN expose_metadata INTEGER NOT NULL DEFAULT 0;`,
	// 4: encrypted bundles (the session key and the checksum devices get)
	// and per-file bundles (their manifest, in upload order).
	`ALTER TABLE bundles ADD COLUMN session_key TEXT NOT NULL DEFAULT '';
	ALTER TABLE bundles ADD COLUMN checksum TEXT NOT NULL DEFAULT '';
	CREATE TABLE manifest_files (
		app_id    TEXT NOT NULL,
		bundle    TEXT NOT NULL,
		position  INTEGER NOT NULL,
		file_name TEXT NOT NULL,
		file_hash TEXT NOT NULL,
		object    TEXT NOT NULL,
		size      INTEGER NOT NULL,
		PRIMARY KEY (app_id, bundle, position)
	);`,
}
