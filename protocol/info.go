package protocol

// Info is the object a device sends with every request: the body of
// POST /updates, the base of every stats event and of /channel_self calls.
type Info struct {
	Platform       string `json:"platform"`
	DeviceID       string `json:"device_id"`
	AppID          string `json:"app_id"`
	CustomID       string `json:"custom_id,omitempty"`
	VersionBuild   string `json:"version_build"`
	VersionCode    string `json:"version_code,omitempty"`
	VersionOS      string `json:"version_os,omitempty"`
	VersionName    string `json:"version_name"`
	PluginVersion  string `json:"plugin_version"`
	IsEmulator     bool   `json:"is_emulator"`
	IsProd         bool   `json:"is_prod"`
	InstallSource  string `json:"install_source,omitempty"`
	DefaultChannel string `json:"defaultChannel,omitempty"`
	KeyID          string `json:"key_id,omitempty"`
}

// Platforms the backend accepts.
const (
	PlatformIOS      = "ios"
	PlatformAndroid  = "android"
	PlatformElectron = "electron"
)

// Builtin is the version name of the bundle shipped inside the native app.
const Builtin = "builtin"

// Field limits the backend enforces (utils/plugin_validation.ts), in UTF-16
// code units as JavaScript counts them.
const (
	MaxDeviceIDLen      = 36
	MaxInstallSourceLen = 64
	MaxKeyIDLen         = 20
	MaxCustomIDLen      = 36
)

// PluginVersion is the plugin version the simulated devices report.
const PluginVersion = "8.51.14"
